"""Items: list, read, create."""

from typing import Annotated

from config import Settings
from deps import get_settings, pagination
from fastapi import APIRouter, Depends, HTTPException
from models import ItemCreate, ItemOut

router = APIRouter(prefix="/items", tags=["items"])

ITEMS = [ItemOut(id=1, name="coffee", price=3.5), ItemOut(id=2, name="tea", price=0.5)]


@router.get("/", response_model=list[ItemOut])
def list_items(page: Annotated[dict, Depends(pagination)]):
    return ITEMS[page["offset"] : page["offset"] + page["limit"]]


@router.get("/{item_id}", response_model=ItemOut)
def read_item(item_id: int):
    for item in ITEMS:
        if item.id == item_id:
            return item
    raise HTTPException(status_code=404, detail="no such item")


@router.post("/", response_model=ItemOut)
def create_item(item: ItemCreate, settings: Annotated[Settings, Depends(get_settings)]):
    return ItemOut(id=len(ITEMS) + 1, **item.model_dump())


@router.get("/currency/")
def currency(settings: Annotated[Settings, Depends(get_settings)]):
    return {"currency": settings.currency}
