"""A Flask app factory with two blueprints and request hooks (``python wsgi.py``)."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Http
from sequence import App

FACTORY_APP = Spot("wsgi.py", "app = create_app()")
CATALOG_IMPORT = Spot("shopapp/catalog.py", "from shopapp.pricing import")

EDITS = (
    Edit(
        "catalog-view-body",
        0,
        {"shopapp/catalog.py": [('"vat": VAT}', '"vat": VAT, "size": size}')]},
    ),
    Edit(
        "factory-config-value",
        2,
        {"shopapp/__init__.py": [('app.config["PAGE_SIZE"] = 2', 'app.config["PAGE_SIZE"] = 3')]},
        stale=(FACTORY_APP,),
        must_apply=True,
        why="config set inside a factory reaches the live app (issue 19, family 2)",
    ),
    Edit(
        "factory-route-added",
        2,
        {
            "shopapp/__init__.py": [
                (
                    "    return app\n",
                    '    @app.route("/health")\n    def health():\n        return {"ok": True}\n\n'
                    "    return app\n",
                )
            ]
        },
        stale=(FACTORY_APP,),
        must_apply=True,
        why="routes set inside a factory reach the live app (issue 19, family 2)",
    ),
    Edit(
        "blueprint-route-added",
        8,
        {
            "shopapp/catalog.py": [
                (
                    "@bp.after_app_request\n",
                    '@bp.route("/featured")\ndef featured():\n    return shown(PRODUCTS[0])\n\n\n'
                    "@bp.after_app_request\n",
                )
            ]
        },
        must_apply=True,
    ),
    Edit(
        "blueprint-route-path",
        8,
        {
            "shopapp/catalog.py": [
                ('@bp.route("/items/<int:item_id>")', '@bp.route("/item/<int:item_id>")')
            ]
        },
        must_apply=True,
    ),
    Edit(
        "app-wide-hook-body", 0, {"shopapp/catalog.py": [('"X-Shop"] = "v1"', '"X-Shop"] = "v2"')]}
    ),
    Edit(
        "factory-hook-body",
        0,
        {"shopapp/__init__.py": [('get("visitor", "guest")', 'get("visitor", "anonymous")')]},
        stale=(FACTORY_APP,),
    ),
    Edit(
        "vat-imported-by-name",
        1,
        {"shopapp/pricing.py": [("VAT = 0.2", "VAT = 0.25")]},
        stale=(CATALOG_IMPORT,),
        must_apply=True,
    ),
    Edit(
        "discount-read-by-a-cache",
        3,
        {"shopapp/pricing.py": [("DISCOUNT = 0.0", "DISCOUNT = 0.1")]},
        must_apply=True,
    ),
    Edit(
        "rename-saved-together",
        6,
        {
            # The importer first: the order in which an editor that saves both may send them.
            "shopapp/catalog.py": [
                ("discounted, format_price, price_with_vat", "discounted, money, price_with_vat"),
                ('"price": format_price(cents)', '"price": money(cents)'),
            ],
            "shopapp/pricing.py": [("def format_price(cents):", "def money(cents):")],
        },
        must_apply=True,
    ),
    Edit(
        "half-finished-rename",
        7,
        {"shopapp/pricing.py": [("def price_with_vat(cents):", "def gross(cents):")]},
        stale=(CATALOG_IMPORT,),
        why="catalog.py still imports price_with_vat: a fresh start fails with ImportError",
    ),
    Edit(
        "rename-finished",
        0,
        {
            "shopapp/catalog.py": [
                ("discounted, money, price_with_vat", "discounted, gross, money"),
                ("discounted(price_with_vat(", "discounted(gross("),
            ]
        },
    ),
)

APP = App(
    name="flask_factory",
    folder=Path(__file__).resolve().parents[1] / "programs" / "flask_factory",
    command=("wsgi.py",),
    probes=(
        Http("/"),
        Http("/?visitor=ada"),
        Http("/health"),
        Http("/catalog/items", headers=("X-Shop",)),
        Http("/catalog/items/2"),
        Http("/catalog/item/2"),
        Http("/catalog/featured"),
        Http("/admin/stats"),
    ),
    edits=EDITS,
)
