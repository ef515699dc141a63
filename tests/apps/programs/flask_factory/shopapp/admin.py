"""What the shop's staff see."""

from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.route("/stats")
def stats():
    return {"orders": 12, "open": True}
