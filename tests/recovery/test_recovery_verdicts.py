"""The verdict on a module imported before splice: its file is the baseline only when provably what runs.

These run in the test's own interpreter, on real modules imported from real
files without splice's import hook. The pytest process started before any of
these files was written, so the file-times evidence never holds here: what
the live objects show decides alone (the subprocess tests cover file times).
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
from recovery_support import Modules

import splice
from splice.agent import methods
from splice.engine.baselines import process, recovery
from splice.engine.baselines.store import baseline_source, has_baseline

PLAIN = '''\
"""A module the live objects can vouch for entirely."""
import functools

LIMIT = 3


def doomed():
    return "still here"


def greet(name="world"):
    return f"hello {name}"


@functools.lru_cache(maxsize=None)
def square(x):
    return x * x


class Shape:
    sides = 4

    def area(self, size=2):
        return size * size

    @staticmethod
    def kind():
        return "shape"
'''

EDITED = (
    PLAIN.replace('def doomed():\n    return "still here"\n\n\n', "")
    .replace('name="world"', 'name="splice"')
    .replace("@functools.lru_cache(maxsize=None)\ndef square", "def square")
)


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Modules]:
    helper = Modules(tmp_path)
    yield helper
    helper.cleanup()


def test_verify_module_unchanged_file_becomes_the_baseline(modules: Modules) -> None:
    module = modules.load(PLAIN)

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "verified", verdict
    assert verdict.evidence == "live-objects"
    assert baseline_source(module.__name__) == PLAIN
    assert verdict.lines == PLAIN.count("\n")


def test_verify_module_keeps_no_syntax_tree_of_a_verified_module(modules: Modules) -> None:
    # Syntax trees cost about 75x the text: recovery of a big program would hold them all.
    from splice.engine.baselines import store

    module = modules.load(PLAIN)

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "verified", verdict
    assert module.__name__ not in store._outlines
    result = splice.patch_module(module, EDITED)  # the first patch parses the baseline
    assert result.ok and module.greet() == "hello splice", result


@pytest.mark.parametrize("origin", ["recovered", "recorded"])
def test_verify_module_then_deletion_default_and_decorator_apply_as_under_splice(
    modules: Modules, origin: str
) -> None:
    module = modules.load(PLAIN, recorded=origin == "recorded")
    if origin == "recovered":
        assert recovery.verify_module(module.__name__, module).verified  # type: ignore[union-attr]
    assert hasattr(module.square, "cache_info")

    result = splice.patch_module(module, modules.write(module, EDITED))

    assert result.ok, result.summary()
    assert (result.changed, result.deleted, result.rebound) == (
        ("greet",),
        ("doomed",),
        ("square",),
    )
    assert not result.skipped
    assert not hasattr(module, "doomed")
    assert module.greet() == "hello splice"
    assert not hasattr(module.square, "cache_info") and module.square(3) == 9


def test_verify_module_body_edited_before_the_agent_is_handed_to_the_live_planner(
    modules: Modules,
) -> None:
    module = modules.load(PLAIN)
    edited = modules.write(module, PLAIN.replace("return size * size", "return size * 10"))

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "differs"
    assert "Shape.area (line 23)" in verdict.reason
    assert not has_baseline(module.__name__)
    result = splice.patch_module(module, edited)  # the live-object planner
    assert result.changed == ("Shape.area",) and module.Shape().area() == 20


@pytest.mark.parametrize(
    ("old", "new", "shown", "state"),
    [
        ('name="world"', 'name="there"', "greet changed", "differs"),
        # A literal's live value may be the program's: the file's times decide (docs/edits.md).
        ("LIMIT = 3", "LIMIT = 4", "line 4: LIMIT is 3 in the program", "unconfirmed"),
        ("import functools\n", "import functools\nimport math\n", "statement run", "differs"),
        ('def doomed():\n    return "still here"\n\n\n', "", "doomed deleted", "differs"),
        ("    sides = 4\n", "    sides = 5\n", "sides is 4 in the program", "unconfirmed"),
        ("\n\ndef greet", "\n\n\ndef greet", "moved", "differs"),
    ],
    ids=["default", "literal", "import", "deletion", "class-literal", "moved"],
)
def test_verify_module_sees_edits_that_leave_the_code_alone(
    modules: Modules, old: str, new: str, shown: str, state: str
) -> None:
    module = modules.load(PLAIN)
    modules.write(module, PLAIN.replace(old, new))

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == state, verdict
    assert not has_baseline(module.__name__)
    assert shown in verdict.reason or "is not in it" in verdict.reason, verdict.reason


def test_verify_module_a_changed_lambda_differs_though_the_planner_sees_a_statement(
    modules: Modules,
) -> None:
    module = modules.load("key = lambda item: item\n")
    modules.write(module, "key = lambda item: -item\n")

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "differs"
    assert "<lambda> (line 1)" in verdict.reason


def test_verify_module_a_decorator_only_edit_after_start_is_unconfirmed(modules: Modules) -> None:
    source = (
        "import functools\n\n\ndef tag(f):\n    @functools.wraps(f)\n    def wrapper():\n"
        "        return f()\n\n    return wrapper\n\n\nother = tag\n\n\n@tag\ndef value():\n"
        "    return 1\n"
    )
    module = modules.load(source)
    modules.write(module, source.replace("@tag\n", "@other\n"))

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "unconfirmed", verdict
    assert "written after the process started" in verdict.reason
    assert not has_baseline(module.__name__)


def test_verify_module_an_opaque_decorator_is_never_trusted_on_the_live_objects_alone(
    modules: Modules,
) -> None:
    # It returns its function: nothing on the live object shows it ran (a wrapper it
    # made would: its code is nested in the decorator's, and that is read).
    module = modules.load(
        "def tag(f):\n    f.tagged = True\n    return f\n\n\n@tag\ndef value():\n    return 1\n"
    )

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "unconfirmed"
    assert "decorators" in verdict.reason
    assert not has_baseline(module.__name__)


def test_verify_module_a_file_that_no_longer_parses_differs(modules: Modules) -> None:
    module = modules.load("def f():\n    return 1\n")
    modules.write(module, "def f(:\n")

    verdict = recovery.verify_module(module.__name__, module)

    assert verdict is not None and verdict.state == "differs"
    assert "does not compile" in verdict.reason


def test_verify_module_a_module_with_a_baseline_is_left_alone(modules: Modules) -> None:
    module = modules.load(PLAIN, recorded=True)
    modules.write(module, EDITED)

    assert recovery.verify_module(module.__name__, module) is None
    assert baseline_source(module.__name__) == PLAIN


def test_verify_module_judges_each_module_once(modules: Modules) -> None:
    module = modules.load(PLAIN.replace("@functools.lru_cache(maxsize=None)\n", ""))
    modules.write(module, PLAIN)  # edited: differs
    first = recovery.verify_module(module.__name__, module)
    modules.write(module, PLAIN.replace("@functools.lru_cache(maxsize=None)\n", ""))

    second = recovery.verify_module(module.__name__, module)

    assert first is second and second is not None and second.state == "differs"
    assert not has_baseline(module.__name__)


def test_patch_request_verifies_a_module_not_yet_judged_first(modules: Modules) -> None:
    module = modules.load(PLAIN)
    assert recovery.verdict_of(module.__name__) is None

    reply = methods.patch({"module": module.__name__, "source": EDITED}, lambda work: work())

    verdict = recovery.verdict_of(module.__name__)
    assert verdict is not None and verdict.state == "verified"
    assert reply["ok"] and reply["rebound"] == ["square"] and reply["deleted"] == ["doomed"]
    assert baseline_source(module.__name__) == EDITED


def test_modules_method_reports_how_each_baseline_was_established(modules: Modules) -> None:
    recorded = modules.load(PLAIN, recorded=True)
    verified = modules.load(PLAIN)
    differs = modules.load(PLAIN)
    modules.write(differs, EDITED)
    unjudged = modules.load(PLAIN)
    for module in (verified, differs):
        recovery.verify_module(module.__name__, module)

    listed = {entry["name"]: entry for entry in methods.list_modules({}, lambda w: w())["modules"]}

    assert listed[recorded.__name__]["baseline"] == "import"
    assert "baselineReason" not in listed[recorded.__name__]
    assert listed[verified.__name__]["baseline"] == "verified"
    assert listed[verified.__name__]["hasBaseline"] is True
    assert listed[differs.__name__]["baseline"] == "differs"
    assert "doomed (line 7)" in listed[differs.__name__]["baselineReason"]
    assert listed[unjudged.__name__]["baseline"] == "none"


def test_in_user_scope_leaves_out_the_standard_library_site_packages_and_splice(
    tmp_path: Path,
) -> None:
    assert process.in_user_scope(str(tmp_path / "mine.py"))
    assert not process.in_user_scope(os.__file__)
    assert not process.in_user_scope(str(Path(sysconfig.get_path("purelib"), "pkg", "m.py")))
    assert not process.in_user_scope(splice.__file__ or "")
    assert not process.in_user_scope(str(Path(sysconfig.get_path("scripts"), "tool")))


def test_process_start_ns_is_before_now_and_after_boot() -> None:
    import time

    start = process.process_start_ns()

    assert start is not None
    assert time.time_ns() - 24 * 3600 * 10**9 * 365 < start < time.time_ns()
    assert sys.platform == "linux"


def test_recovery_thread_name_is_the_one_the_import_watcher_leaves_out() -> None:
    from splice.agent.imports import RECOVERY_THREAD

    assert recovery.THREAD_NAME == RECOVERY_THREAD
