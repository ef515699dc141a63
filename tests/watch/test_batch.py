"""Files saved together: the order they are patched in, and which failures are tried again."""

from __future__ import annotations

from splice.agent.batch import SavedFile, import_order, imported_modules, needs_retry
from splice.engine.result import Finding, PatchResult, ProcessOutcome


def names(files: list[SavedFile]) -> list[str]:
    return [file.path for file in files]


def test_import_order_puts_an_imported_module_before_its_importer() -> None:
    app = SavedFile("app.py", "from pricing import total\n", ("__main__",))
    pricing = SavedFile("pricing.py", "def total():\n    return 1\n", ("pricing",))
    assert names(import_order([app, pricing])) == ["pricing.py", "app.py"]
    assert names(import_order([pricing, app])) == ["pricing.py", "app.py"]


def test_import_order_follows_relative_imports_and_packages_of_submodules() -> None:
    views = SavedFile("shop/views.py", "from . import models\n", ("shop.views",))
    models = SavedFile("shop/models.py", "from .base import Base\n", ("shop.models",))
    base = SavedFile("shop/base.py", "class Base:\n    pass\n", ("shop.base",))
    assert names(import_order([views, models, base])) == [
        "shop/base.py",
        "shop/models.py",
        "shop/views.py",
    ]


def test_import_order_keeps_files_that_import_each_other_as_given() -> None:
    first = SavedFile("a.py", "import b\n", ("a",))
    second = SavedFile("b.py", "import a\n", ("b",))
    assert names(import_order([first, second])) == ["a.py", "b.py"]


def test_imports_inside_functions_do_not_order_a_batch() -> None:
    assert imported_modules("def f():\n    import pricing\n", "app") == set()
    assert imported_modules("if True:\n    import pricing.rates\n", "app") == {
        "pricing",
        "pricing.rates",
    }
    assert imported_modules("from .. import config\n", "shop.web.views", "views.py") == {
        "shop",
        "shop.config",
    }


def test_only_failures_of_running_the_new_text_are_tried_again() -> None:
    def refused(code: str) -> ProcessOutcome:
        error = Finding(code, "raised ImportError: cannot import name 'title'")
        return ProcessOutcome(1, "app", PatchResult(ok=False, module="app", errors=(error,)))

    assert needs_retry([refused("apply-failed")])
    assert not needs_retry([refused("class-bases-changed")])
    assert not needs_retry([ProcessOutcome(1, "app", error="not reachable")])
