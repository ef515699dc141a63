"""Judging a random program's patches by a fresh import of each new text.

``run_sequence`` loads a ``programs.Program``, patches it through random edits
and, after each, compares every probe and every reference taken earlier with
a fresh import of the new text (the run-time actions replayed). A difference
the result does not name is a silent miss; a refused patch is a wrong
refusal (the generator makes only edits a live program can take).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import itertools
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from engine.helpers import Live
from engine.programs import Program, edit, random_program
from splice.engine.baselines.store import forget_baseline
from splice.engine.result import Finding


def _call(function: Callable[[], Any]) -> Any:
    try:
        value = function()
        if hasattr(value, "send") and hasattr(value, "throw"):
            if hasattr(value, "__next__"):
                return ("generator", list(value))
            try:
                value.send(None)
            except StopIteration as stop:
                return ("coroutine", stop.value)
            value.close()
            return "suspended"
        return value
    except Exception as error:  # failing the same way is the same behaviour
        return ("raised", type(error).__name__)


def probes(program: Program, namespace: dict[str, Any]) -> dict[str, Any]:
    """What the program answers, key by key (no probe changes its state)."""
    answers: dict[str, Any] = {}
    for name in program.functions:
        answers[name] = _call(namespace[name]) if name in namespace else "missing"
    for name in program.duplicates:
        answers[name] = _call(namespace[name])
    for name in program.factories:
        answers[f"clo{name}"] = _call(lambda name=name: namespace[f"clo{name}"](2))
        answers[f"make{name}"] = _call(lambda name=name: namespace[f"make{name}"](3)(2))
    for name, klass in program.classes.items():
        cls = namespace[name]
        instance = cls()
        for method, (_, style) in klass.methods.items():
            bound = getattr(instance, method, "missing")
            if style == "factory":
                answers[f"{name}.{method}"] = _call(lambda bound=bound: bound()())
            else:
                answers[f"{name}.{method}"] = bound if style == "property" else _call(bound)
        answers[f"{name}.names"] = sorted(n for n in vars(cls) if not n.startswith("__"))
        for literal in ("flag", "limit"):
            answers[f"{name}.{literal}"] = vars(cls).get(literal, "missing")
        answers[f"{name}.bases"] = cls.__bases__ == (object,)
    box = namespace["Box"]()
    with contextlib.suppress(AttributeError):
        box.value = 5
    answers["Box"] = box.value
    answers["handle"] = _call(namespace["handle"])
    answers["handlers"] = [_call(handler) for handler in namespace["handlers"]]
    point = namespace["Point"]
    answers["Point"] = (repr(point()), point().norm())
    answers["Color"] = namespace["Color"].RED.describe()
    answers["VERBOSE"] = namespace["VERBOSE"]
    answers["Conn.created"] = namespace["Conn"].created
    for name, value in namespace.items():
        if not name.startswith("__") and not isinstance(value, ModuleType):
            answers[f"has {name}"] = True
    return answers


def references(program: Program, namespace: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """What a program holds: functions, closures and bound methods taken now."""
    held: dict[str, Callable[[], Any]] = {}
    for name in [*program.functions, *program.duplicates]:
        if name in namespace:
            held[name] = namespace[name]
    for name in program.factories:
        closure = namespace.get(f"clo{name}")
        if closure is not None:
            held[f"clo{name}"] = lambda closure=closure: closure(2)
    for name, klass in program.classes.items():
        instance = namespace[name]()
        for method, (_, style) in klass.methods.items():
            if style == "factory" and hasattr(instance, method):
                made = getattr(instance, method)()
                held[f"{name}.{method}"] = made
            elif style != "property" and hasattr(instance, method):
                held[f"{name}.{method}"] = getattr(instance, method)
    held["Color"] = namespace["Color"].RED.describe
    return held


def run_actions(namespace: dict[str, Any]) -> None:
    """What the program does at run time: state the text does not say."""
    namespace["VERBOSE"] = True
    namespace["Conn"]()
    namespace["Conn"]()


_fresh_numbers = itertools.count()


def fresh_import(path: str, text: str) -> dict[str, Any]:
    """A fresh run of ``text`` as a module, with the run-time actions replayed."""
    name = f"splice_fresh_{next(_fresh_numbers)}"
    module = ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    try:
        exec(compile(text, path, "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    run_actions(module.__dict__)
    return module.__dict__


@dataclass
class Tally:
    """What a run found, per mode."""

    programs: int = 0
    edits: int = 0
    misses: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def figures(self) -> str:
        return (
            f"{self.programs} programs, {self.edits} edits, {len(self.misses)} silent misses, "
            f"{len(self.refusals)} wrong refusals"
        )


def _names(finding: Finding, related: list[str], spans: dict[str, tuple[int, int]]) -> bool:
    qualname = finding.qualname
    for name in related:
        if qualname is not None and (qualname == name or qualname.startswith(name + ".")):
            return True
        span = spans.get(name)
        if span is not None and finding.line is not None and span[0] <= finding.line <= span[1]:
            return True
    return False


def run_sequence(live: Live, rng: random.Random, edits: int, tally: Tally, label: str) -> None:
    """Load a random program, then patch it through ``edits`` random edits, judging each."""
    program = random_program(rng)
    text, spans = program.render()
    module = live.load(text)
    run_actions(vars(module))
    path = module.__file__ or ""
    held = references(program, vars(module))
    tally.programs += 1
    #: Differences a result named, kept while they stay the same (a finding is said once).
    named: dict[str, tuple[Any, Any]] = {}
    stale: set[str] = set()
    for step in range(edits):
        before = copy.deepcopy(program)
        old_text = text
        action = edit(program, rng)
        text, spans = program.render()
        if not live.baseline:
            forget_baseline(module.__name__)
        result = live.patch(module, text)
        tally.edits += 1
        where = f"{label}, step {step} ({action})"
        if not result.ok:
            tally.refusals.append(f"{where}: {result.summary()}\n{_diff(old_text, text)}")
            program, text = before, old_text
            continue
        fresh = fresh_import(path, text)
        expected = probes(program, fresh)
        actual = probes(program, vars(module))
        gone = {*result.rebound, *result.deleted, *result.added}
        for key, reference in list(held.items()):
            if key.partition(".")[0] in gone or key in gone or key not in expected:
                del held[key]
                continue
            actual[f"held {key}"] = _call(reference)
            expected[f"held {key}"] = expected[key]
        findings = [*result.skipped, *result.errors]
        for finding in findings:
            qualname = finding.qualname
            if finding.code == "closure-freevars-changed" and qualname:
                # Said once: those closures keep their old code until they are made again.
                if qualname.startswith("make"):
                    stale.update({f"clo{qualname[4:]}", f"held clo{qualname[4:]}"})
                else:
                    stale.add(f"held {qualname}")
            elif finding.code in ("definition-not-live", "definition-unverified"):
                # Said once: what only a decorator keeps (a registry) stays out of reach.
                for key in expected:
                    if _within(finding, program.related(key), spans):
                        stale.update({key, f"held {key}"})
        for key in sorted(expected.keys() | actual.keys()):
            if key in stale:
                continue
            pair = (actual.get(key, "missing"), expected.get(key, "missing"))
            if pair[0] == pair[1]:
                named.pop(key, None)
                continue
            related = program.related(key.removeprefix("held ").removeprefix("has "))
            if any(_names(finding, related, spans) for finding in findings):
                named[key] = pair
            elif named.get(key) != pair and not _still_missing(named.get(key), pair):
                tally.misses.append(
                    f"{where}: {key}: live {pair[0]!r}, fresh {pair[1]!r}\n"
                    f"{result.summary()}\n{_diff(old_text, text)}"
                )
                named[key] = pair
        for key, value in references(program, vars(module)).items():
            held.setdefault(key, value)


def _within(finding: Finding, related: list[str], spans: dict[str, tuple[int, int]]) -> bool:
    """Whether the finding stands on the lines of one of ``related`` (same-name
    siblings share a qualified name; their lines tell them apart)."""
    if finding.line is None:
        return _names(finding, related, spans)
    return any(
        spans[name][0] <= finding.line <= spans[name][1] for name in related if name in spans
    )


def _still_missing(before: tuple[Any, Any] | None, pair: tuple[Any, Any]) -> bool:
    """A name the live module lacks, named once: it stays missing whatever the text says."""
    gone = ("missing", ("raised", "KeyError"))
    return before is not None and before[0] == pair[0] and pair[0] in gone


def _diff(old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), "before", "after", n=1
        )
    )
