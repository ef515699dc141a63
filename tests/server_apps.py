"""The two web apps the multi-process tests serve: each answers its message and its pid."""

WSGI_APP = """\
import os


def message():
    return "old"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{message()} {os.getpid()}".encode()]
"""

ASGI_APP = """\
import os


def message():
    return "old"


async def app(scope, receive, send):
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": f"{message()} {os.getpid()}".encode()})
"""
