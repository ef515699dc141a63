"""Django under ``splice run manage.py runserver --noreload``: views, model methods, URLconfs, tags."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("django")

from served_app import ServedApp, served  # noqa: E402

MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

SETTINGS = """\
SECRET_KEY = "only-for-tests"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "site_urls"
INSTALLED_APPS = ["shop"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
USE_TZ = True
PAGE_SIZE = 2
"""

URLS = """\
from django.urls import path

from shop import views

urlpatterns = [
    path("hello/", views.hello),
    path("label/", views.label),
    path("tagged/", views.tagged),
    path("page/", views.page),
]
"""

VIEWS = """\
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from shop.models import Product


def hello(request):
    return JsonResponse({"message": "hello"})


def page(request):
    return JsonResponse({"size": settings.PAGE_SIZE})


def label(request):
    return JsonResponse({"label": Product(name="Pen").label()})


def tagged(request):
    return render(request, "tagged.html")
"""

MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=20)

    def label(self):
        return self.name.upper()
"""

TAGS = """\
from django import template

register = template.Library()


@register.simple_tag
def greet(name):
    return f"hello {name}"
"""

FILES = {
    "site_settings.py": SETTINGS,
    "site_urls.py": URLS,
    "shop/__init__.py": "",
    "shop/views.py": VIEWS,
    "shop/models.py": MODELS,
    "shop/templatetags/__init__.py": "",
    "shop/templatetags/shop_tags.py": TAGS,
    "shop/templates/tagged.html": '{% load shop_tags %}{% greet "ada" %}',
}

ORIGINALS = {
    "site_settings": SETTINGS,
    "site_urls": URLS,
    "shop.views": VIEWS,
    "shop.models": MODELS,
    "shop.templatetags.shop_tags": TAGS,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    folder: Path = tmp_path_factory.mktemp("django")
    with served(
        folder,
        MANAGE,
        probe="/hello/",
        files=FILES,
        script="manage.py",
        args=("runserver", "--noreload", "127.0.0.1:{port}"),
    ) as app:
        yield app


@pytest.fixture
def app(server: ServedApp) -> Iterator[ServedApp]:
    yield server
    for module, source in ORIGINALS.items():
        result = server.patch(source, module=module)
        assert result.ok, result.errors


def test_django_changed_view_applies(app: ServedApp) -> None:
    assert app.get("/hello/") == (200, {"message": "hello"})
    result = app.patch(VIEWS.replace('"message": "hello"', '"message": "hi"'), module="shop.views")
    assert result.ok and result.changed == ("hello",), result
    assert app.get("/hello/") == (200, {"message": "hi"})


def test_django_changed_model_method_applies(app: ServedApp) -> None:
    assert app.get("/label/") == (200, {"label": "PEN"})
    result = app.patch(MODELS.replace("upper()", "lower()"), module="shop.models")
    assert result.ok and result.changed == ("Product.label",), result
    assert app.get("/label/") == (200, {"label": "pen"})


def test_django_urlconf_edit_applies_and_the_old_path_stops(app: ServedApp) -> None:
    source = URLS.replace('path("hello/", views.hello)', 'path("greeting/", views.hello)')
    result = app.patch(source, module="site_urls")
    assert result.fully_applied, result
    assert result.statements_applied == (source.splitlines().index("urlpatterns = [") + 1,)
    assert app.get("/greeting/") == (200, {"message": "hello"})
    assert app.get("/hello/")[0] == 404


def test_django_template_tag_edit_applies_to_a_compiled_template(app: ServedApp) -> None:
    assert app.get("/tagged/") == (200, "hello ada")
    result = app.patch(
        TAGS.replace('f"hello {name}"', 'f"hi {name}!"'), module="shop.templatetags.shop_tags"
    )
    assert result.ok and result.changed == ("greet",), result
    assert app.get("/tagged/") == (200, "hi ada!")


def test_django_model_field_edit_is_refused(app: ServedApp) -> None:
    source = MODELS.replace(
        "    name = models.CharField(max_length=20)\n",
        "    name = models.CharField(max_length=20)\n    price = models.IntegerField(default=0)\n",
    ).replace("upper()", "lower()")
    result = app.patch(source, module="shop.models")
    assert [error.code for error in result.errors] == ["django-model-changed"]
    assert app.get("/label/") == (200, {"label": "PEN"})


#: A module with no baseline (as after ``splice attach``), patched, then asked through Django.
NO_BASELINE = """\
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")
import django

django.setup()
from django.test import Client

import site_urls
import splice
from splice.engine.baselines.store import forget_baseline, has_baseline

forget_baseline("site_urls")
assert not has_baseline("site_urls")
client = Client(HTTP_HOST="127.0.0.1")
assert client.get("/hello/").status_code == 200
source = open("site_urls.py").read().replace('"hello/"', '"greeting/"')
result = splice.patch_module(site_urls, source)
assert result.ok, result
print(client.get("/greeting/").status_code, client.get("/hello/").status_code)
forget_baseline("site_urls")
again = splice.patch_module(site_urls, source + "# unchanged patterns are not run again\\n")
print(again.ok, again.statements_applied)
"""


def test_django_urlconf_edit_applies_without_a_baseline(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "check.py").write_text(NO_BASELINE)
    completed = subprocess.run(
        [sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == ["200 404", "True ()"]


def test_django_changed_setting_reaches_django_conf_settings(app: ServedApp) -> None:
    assert app.get("/page/") == (200, {"size": 2})
    result = app.patch(SETTINGS.replace("PAGE_SIZE = 2", "PAGE_SIZE = 3"), module="site_settings")
    assert result.ok and result.statements_applied, result
    assert app.get("/page/") == (200, {"size": 3})


def test_django_changed_start_up_setting_is_named(app: ServedApp) -> None:
    edited = SETTINGS.replace('INSTALLED_APPS = ["shop"]', 'INSTALLED_APPS = ["shop", "extra"]')
    result = app.patch(edited, module="site_settings")
    assert result.ok, result
    [warning] = [f for f in result.skipped if f.code == "django-setting-restart"]
    assert warning.line == 5 and "INSTALLED_APPS" in warning.message
