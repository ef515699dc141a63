"""The API: ``uvicorn main:app`` serves the items and users routers."""

from fastapi import FastAPI
from routers import items, users

app = FastAPI(title="shop")
app.include_router(items.router)
app.include_router(users.router)


@app.get("/")
def root():
    return {"service": "shop"}
