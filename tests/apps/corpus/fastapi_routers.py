"""FastAPI with two routers, dependencies and Pydantic models across modules (``uvicorn main:app``)."""

from __future__ import annotations

from pathlib import Path

from oracle import Edit, Spot
from running import Http
from sequence import App

ITEMS_IMPORTS = Spot("routers/items.py", "from deps import")

EDITS = (
    Edit(
        "endpoint-body",
        0,
        {
            "routers/users.py": [
                (
                    '{"users": USERS[:MAX_USERS]}',
                    '{"users": USERS[:MAX_USERS], "total": len(USERS)}',
                )
            ]
        },
    ),
    Edit(
        "max-users-imported-by-name",
        1,
        {"config.py": [("MAX_USERS = 2", "MAX_USERS = 3")]},
        stale=(Spot("routers/users.py", "from config import MAX_USERS"),),
        must_apply=True,
    ),
    Edit(
        "router-prefix",
        2,
        {"routers/users.py": [('prefix="/users"', 'prefix="/people"')]},
        stale=(Spot("main.py", "app.include_router(users.router)"),),
        must_apply=True,
        why="a router's prefix is known to the FastAPI adapter (issue 19, family 2)",
    ),
    Edit(
        "route-path-after-prefix",
        0,
        {"routers/users.py": [('@router.get("/")', '@router.get("/all")')]},
        stale=(Spot("main.py", "app.include_router(users.router)"),),
    ),
    Edit(
        "field-added-to-a-base-model",
        8,
        {
            "models.py": [
                (
                    "    price: float = Field(gt=0)\n",
                    "    price: float = Field(gt=0)\n    in_stock: bool = True\n",
                )
            ]
        },
        must_apply=True,
        why="ItemBase has subclasses ItemCreate and ItemOut (FastAPI's tutorial pattern)",
    ),
    Edit(
        "dependency-default",
        0,
        {"deps.py": [("def pagination(limit: int = 10,", "def pagination(limit: int = 1,")]},
    ),
    Edit(
        "settings-default",
        0,
        {"config.py": [('currency: str = "EUR"', 'currency: str = "USD"')]},
    ),
    Edit(
        "half-finished-rename",
        7,
        {"deps.py": [("def get_settings():", "def load_settings():")]},
        stale=(ITEMS_IMPORTS,),
        why="routers/items.py still uses Depends(get_settings): a fresh start fails with ImportError",
    ),
    Edit(
        "rename-finished",
        0,
        {
            "routers/items.py": [
                (
                    "from deps import get_settings, pagination",
                    "from deps import load_settings, pagination",
                ),
                (
                    "ItemCreate, settings: Annotated[Settings, Depends(get_settings)]",
                    "ItemCreate, settings: Annotated[Settings, Depends(load_settings)]",
                ),
                (
                    "def currency(settings: Annotated[Settings, Depends(get_settings)])",
                    "def currency(settings: Annotated[Settings, Depends(load_settings)])",
                ),
            ]
        },
    ),
    Edit(
        "constraint-live-data-violates",
        7,
        {"models.py": [("price: float = Field(gt=0)", "price: float = Field(gt=1)")]},
        stale=(Spot("routers/items.py", "ITEMS = ["),),
        why="ITEMS holds a price of 0.5: a fresh start fails with a ValidationError",
    ),
)

APP = App(
    name="fastapi_routers",
    folder=Path(__file__).resolve().parents[1] / "programs" / "fastapi_routers",
    command=("-m", "uvicorn", "main:app", "--port", "{port}", "--log-level", "warning"),
    probes=(
        Http("/"),
        Http("/items/"),
        Http("/items/1"),
        Http("/items/", method="POST", body={"name": "cake", "price": 2.5}),
        Http("/items/currency/"),
        Http("/users/"),
        Http("/people/"),
        Http("/people/all"),
        Http("/openapi.json"),
    ),
    edits=EDITS,
)
