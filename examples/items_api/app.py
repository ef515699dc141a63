"""A FastAPI app to edit live: ``splice run --watch app.py`` (needs fastapi and uvicorn).

Try, while it runs (curl http://127.0.0.1:8000/...):

- give ``hello`` a parameter, ``def hello(name: str = "world")``, and use it:
  ``/hello?name=ada`` answers with it (the route is rebuilt from the new signature);
- add a field to ``Item``, ``qty: int = 1``: a POST to ``/items`` validates and
  returns it, and the items posted before get its default;
- change ``@app.get("/hello")`` to ``@app.get("/hi")``: ``/hello`` stops serving.

Each save prints what was patched; see docs/frameworks.md.
"""

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
ITEMS: list["Item"] = []


class Item(BaseModel):
    name: str
    price: float = 0


@app.get("/hello")
def hello():
    return {"message": "hello world"}


@app.post("/items")
def create_item(item: Item):
    ITEMS.append(item)
    return item


@app.get("/items")
def list_items():
    return ITEMS


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=8000, log_level="warning")
