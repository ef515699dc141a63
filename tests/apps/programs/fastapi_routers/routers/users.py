"""Users, as many as the settings allow."""

from config import MAX_USERS
from fastapi import APIRouter

router = APIRouter(prefix="/users", tags=["users"])

USERS = ["ada", "grace", "linus", "guido"]


@router.get("/")
def list_users():
    return {"users": USERS[:MAX_USERS]}
