"""The catalogue: products, pages of them, and a stamp on every response."""

from flask import Blueprint, current_app

from shopapp.pricing import VAT, discounted, format_price, price_with_vat

bp = Blueprint("catalog", __name__)

PRODUCTS = [
    {"id": 1, "name": "Coffee", "cents": 350},
    {"id": 2, "name": "Croissant", "cents": 220},
    {"id": 3, "name": "Juice", "cents": 400},
]


def shown(product):
    cents = discounted(price_with_vat(product["cents"]))
    return {"name": product["name"], "price": format_price(cents)}


@bp.route("/items")
def items():
    size = current_app.config["PAGE_SIZE"]
    return {"items": [shown(product) for product in PRODUCTS[:size]], "vat": VAT}


@bp.route("/items/<int:item_id>")
def item(item_id):
    for product in PRODUCTS:
        if product["id"] == item_id:
            return shown(product)
    return {"error": "no such item"}, 404


@bp.after_app_request
def stamp(response):
    response.headers["X-Shop"] = "v1"
    return response
