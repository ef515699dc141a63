"""Settings of the API."""

from pydantic import BaseModel

MAX_USERS = 2


class Settings(BaseModel):
    currency: str = "EUR"
    page_size: int = 10
