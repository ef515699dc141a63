"""Long random sequences of edits: the live module must behave like a fresh import."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from engine.differential import Tally, run_sequence
from engine.helpers import Live, ok
from splice.engine.baselines.store import forget_baseline

EDITS_PER_SEED = 120


@dataclass
class Program:
    """The source as data: ordered functions and methods, each with a version."""

    functions: dict[str, int] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)
    padding: int = 0
    counter: int = 0

    def fresh_name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def render(self) -> str:
        lines = ["# padding\n" * self.padding]
        for name, version in self.functions.items():
            lines.append(f"def {name}():\n    return ({name!r}, {version})\n\n")
        lines.append("class K:\n    kind = 'k'\n\n")
        for name, version in self.methods.items():
            lines.append(
                f"    def {name}(self):\n        return ({name!r}, {version}, self.kind)\n\n"
            )
        return "".join(lines)


def _edit(program: Program, rng: random.Random) -> None:
    """One random edit: add, change, delete or reorder a function or a method."""
    table = program.functions if rng.random() < 0.6 else program.methods
    action = rng.choice(["add", "change", "change", "delete", "reorder", "pad"])
    if action == "add" or not table:
        prefix = "f" if table is program.functions else "m"
        position = rng.randint(0, len(table))
        items = list(table.items())
        items.insert(position, (program.fresh_name(prefix), rng.randint(0, 999)))
        table.clear()
        table.update(items)
    elif action == "change":
        name = rng.choice(list(table))
        table[name] += 1
    elif action == "delete":
        del table[rng.choice(list(table))]
    elif action == "reorder":
        items = list(table.items())
        rng.shuffle(items)
        table.clear()
        table.update(items)
    else:
        program.padding = rng.randint(0, 5)


def _behaviour(namespace: dict[str, Any], program: Program) -> dict[str, Any]:
    """What the program answers, and where each definition starts."""
    instance = namespace["K"]()
    answers: dict[str, Any] = {}
    for name in program.functions:
        function = namespace[name]
        answers[name] = (function(), function.__code__.co_firstlineno)
    for name in program.methods:
        method = getattr(instance, name)
        answers[f"K.{name}"] = (method(), method.__code__.co_firstlineno)
    public = {name for name in namespace if name[0] in "fK" and not name.startswith("__")}
    members = {name for name in vars(namespace["K"]) if name.startswith("m")}
    answers["names"] = (sorted(public), sorted(members))
    return answers


def _without_baseline_unless(live: Live, module: ModuleType) -> None:
    """In the no-baseline mode, every patch of the sequence runs without one."""
    if not live.baseline:
        forget_baseline(module.__name__)


def _reference(path: str, source: str) -> dict[str, Any]:
    """A fresh run of ``source`` compiled under the module's file name."""
    namespace: dict[str, Any] = {"__name__": "fresh"}
    exec(compile(source, path, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_behave_like_fresh_import(live: Live, seed: int) -> None:
    rng = random.Random(seed)
    program = Program()
    for _ in range(4):
        _edit(program, rng)
    module: ModuleType = live.load(program.render())
    path = module.__file__ or ""
    # References taken at the start: those whose definition never left must follow.
    functions = {name: getattr(module, name) for name in program.functions}
    instance = module.K()
    methods = {name: getattr(instance, name) for name in program.methods}
    for step in range(EDITS_PER_SEED):
        _edit(program, rng)
        source = program.render()
        _without_baseline_unless(live, module)
        ok(live.patch(module, source))
        expected = _behaviour(_reference(path, source), program)
        assert _behaviour(vars(module), program) == expected, f"seed {seed}, step {step}"
        functions = {name: ref for name, ref in functions.items() if name in program.functions}
        methods = {name: ref for name, ref in methods.items() if name in program.methods}
        for name, function in functions.items():
            assert function() == expected[name][0], f"seed {seed}, step {step}: {name}"
        for name, method in methods.items():
            assert method() == expected[f"K.{name}"][0], f"seed {seed}, step {step}: K.{name}"
    fresh = live.fresh(program.render())
    assert _behaviour(vars(module), program) == _behaviour(vars(fresh), program)


FUNCTION_STYLES = {
    "plain": "",
    "cached": "@functools.cache\n",
    "wrapped": "@logged\n",
}
METHOD_STYLES = {
    "plain": ("", "self", "self.kind"),
    "static": ("    @staticmethod\n", "", "'static'"),
    "class": ("    @classmethod\n", "cls", "cls.kind"),
    "property": ("    @property\n", "self", "self.kind"),
}
PRELUDE = """\
import functools

def logged(function):
    @functools.wraps(function)
    def wrapper(*args):
        return function(*args)
    return wrapper

"""


@dataclass
class DecoratedProgram:
    """Like ``Program``, but each definition also has a decorator style that may change."""

    functions: dict[str, tuple[int, str]] = field(default_factory=dict)
    methods: dict[str, tuple[int, str]] = field(default_factory=dict)
    counter: int = 0

    def render(self) -> str:
        parts = [PRELUDE]
        for name, (version, style) in self.functions.items():
            parts.append(
                f"{FUNCTION_STYLES[style]}def {name}():\n    return ({name!r}, {version})\n\n"
            )
        parts.append("class K:\n    kind = 'k'\n\n")
        for name, (version, style) in self.methods.items():
            decorator, first, kind = METHOD_STYLES[style]
            parts.append(
                f"{decorator}    def {name}({first}):\n        return ({name!r}, {version}, {kind})\n\n"
            )
        return "".join(parts)


def _decorated_edit(program: DecoratedProgram, rng: random.Random) -> None:
    is_function = rng.random() < 0.5
    table: dict[str, tuple[int, str]] = program.functions if is_function else program.methods
    styles = list(FUNCTION_STYLES if is_function else METHOD_STYLES)
    action = rng.choice(["add", "change", "change", "restyle", "delete", "reorder"])
    if action == "add" or not table:
        program.counter += 1
        items = list(table.items())
        name = f"{'f' if is_function else 'm'}{program.counter}"
        items.insert(rng.randint(0, len(items)), (name, (rng.randint(0, 99), rng.choice(styles))))
        table.clear()
        table.update(items)
    elif action in ("change", "restyle"):
        name = rng.choice(list(table))
        version, style = table[name]
        table[name] = (version + 1, style) if action == "change" else (version, rng.choice(styles))
    elif action == "delete":
        del table[rng.choice(list(table))]
    else:
        items = list(table.items())
        rng.shuffle(items)
        table.clear()
        table.update(items)


def _decorated_behaviour(namespace: dict[str, Any], program: DecoratedProgram) -> dict[str, Any]:
    instance = namespace["K"]()
    answers: dict[str, Any] = {name: namespace[name]() for name in program.functions}
    for name, (_, style) in program.methods.items():
        value = getattr(instance, name)
        answers[f"K.{name}"] = value if style == "property" else value()
    answers["names"] = sorted(name for name in namespace if name[0] in "fK")
    answers["members"] = sorted(name for name in vars(namespace["K"]) if name.startswith("m"))
    return answers


@pytest.mark.parametrize("seed", [11, 12])
def test_random_decorated_edits_behave_like_fresh_import(live: Live, seed: int) -> None:
    rng = random.Random(seed)
    program = DecoratedProgram()
    for _ in range(6):
        _decorated_edit(program, rng)
    module: ModuleType = live.load(program.render())
    path = module.__file__ or ""
    start = {**program.functions, **{f"K.{n}": s for n, s in program.methods.items()}}
    references = {name: getattr(module, name) for name in program.functions}
    instance = module.K()
    references.update(
        {
            f"K.{name}": getattr(instance, name)
            for name, (_, style) in program.methods.items()
            if style != "property"
        }
    )
    for step in range(EDITS_PER_SEED):
        _decorated_edit(program, rng)
        source = program.render()
        _without_baseline_unless(live, module)
        ok(live.patch(module, source))
        expected = _decorated_behaviour(_reference(path, source), program)
        assert _decorated_behaviour(vars(module), program) == expected, f"seed {seed}, step {step}"
        now = {**program.functions, **{f"K.{n}": s for n, s in program.methods.items()}}
        # A reference follows while its definition exists with the decorators it had.
        references = {
            name: reference
            for name, reference in references.items()
            if name in now and now[name][1] == start[name][1]
        }
        for name, reference in references.items():
            assert reference() == expected[name], f"seed {seed}, step {step}: {name}"


#: Programs per seed; CI runs a few thousand edits once (.ci/run sets it).
RANDOM_PROGRAMS = int(os.environ.get("SPLICE_RANDOM_PROGRAMS", "10"))


@pytest.mark.parametrize("seed", [31, 32])
def test_random_programs_patch_like_a_fresh_import(live: Live, seed: int) -> None:
    rng = random.Random(seed)
    tally = Tally()
    for number in range(RANDOM_PROGRAMS):
        run_sequence(live, rng, rng.randint(3, 6), tally, f"seed {seed}, program {number}")
    mode = "baseline" if live.baseline else "no baseline"
    print(f"{mode}, seed {seed}: {tally.figures()}")
    assert not tally.misses and not tally.refusals, f"{tally.figures()}\n\n" + "\n\n".join(
        (tally.misses + tally.refusals)[:5]
    )
