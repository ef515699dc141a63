"""Dependencies the routes declare."""

from config import Settings


def get_settings():
    return Settings()


def pagination(limit: int = 10, offset: int = 0):
    return {"limit": limit, "offset": offset}
