"""Django with settings, URLs and class-based views (``manage.py runserver --noreload``)."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Http
from sequence import App

EDITS = (
    Edit(
        "view-method-body",
        0,
        {
            "catalog/views.py": [
                (
                    "return JsonResponse(as_dict(product))",
                    'return JsonResponse({**as_dict(product), "detail": True})',
                )
            ]
        },
    ),
    Edit(
        "view-class-attribute",
        0,
        {"catalog/views.py": [('ordering = "name"', 'ordering = "cents"')]},
    ),
    Edit(
        "setting-page-size",
        1,
        {"site_config/settings.py": [("PAGE_SIZE = 2", "PAGE_SIZE = 3")]},
        must_apply=True,
        why="django.conf.settings copied settings.py at start: the adapter updates it (issue 19, family 1)",
    ),
    Edit(
        "setting-read-by-a-template-view",
        1,
        {"site_config/settings.py": [('SHOP_NAME = "Corner shop"', 'SHOP_NAME = "Station shop"')]},
        must_apply=True,
    ),
    Edit(
        "constant-imported-by-name",
        1,
        {"catalog/constants.py": [('CURRENCY = "EUR"', 'CURRENCY = "CHF"')]},
        stale=(Spot("catalog/views.py", "from catalog.constants import CURRENCY"),),
        must_apply=True,
    ),
    Edit(
        "url-added",
        0,
        {
            "site_config/urls.py": [
                (
                    '    path("about/"',
                    '    path("shop/", views.ProductList.as_view()),\n    path("about/"',
                )
            ]
        },
    ),
    Edit("url-path-changed", 0, {"site_config/urls.py": [('path("about/"', 'path("about-us/"')]}),
    Edit(
        "model-method",
        0,
        {"catalog/models.py": [("return self.name.title()", "return self.name.upper()")]},
    ),
    Edit(
        "model-field-added",
        0,
        {
            "catalog/models.py": [
                (
                    "    cents = models.IntegerField()\n",
                    "    cents = models.IntegerField()\n    stock = models.IntegerField(default=0)\n",
                )
            ]
        },
        why="a schema change: refused by name (django-model-changed) is the right answer",
    ),
    Edit(
        "data-built-by-a-statement",
        2,
        {"catalog/views.py": [('name="orange juice"', 'name="apple juice"')]},
        why="PRODUCTS.append(...) ran at import: named (run it again), or applied",
    ),
)

APP = App(
    name="django_site",
    folder=Path(__file__).resolve().parents[1] / "programs" / "django_site",
    command=("manage.py", "runserver", "--noreload", "127.0.0.1:{port}"),
    probes=(
        Http("/products/"),
        Http("/products/2/"),
        Http("/shop/"),
        Http("/about/"),
        Http("/about-us/"),
    ),
    edits=EDITS,
)
