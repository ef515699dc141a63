"""Item models, in the shape of FastAPI's tutorial: a base, what clients send, what they get."""

from pydantic import BaseModel, Field


class ItemBase(BaseModel):
    name: str
    price: float = Field(gt=0)


class ItemCreate(ItemBase):
    pass


class ItemOut(ItemBase):
    id: int
