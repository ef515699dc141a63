"""Random edits without a baseline: a patch never says nothing while behaviour differs.

Each case imports a random program as if before splice (no baseline), patches
it to a randomly edited version, and compares the module with a fresh import
of the new text. Where they differ, the result must say so (a refusal or a
finding): never an ``ok`` with nothing reported.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from engine.helpers import Live
from splice.engine.result import Finding

CASES_PER_SEED = 80
FUNCTION_STYLES = ["", "@functools.cache\n", "@logged\n", "@register\n"]
METHOD_STYLES = ["", "    @staticmethod\n", "    @classmethod\n", "    @property\n"]
DEFAULTS = ["1", "2", "'s'", "None", "(1, 2)", "LIMIT"]


@dataclass
class Function:
    version: int
    default: str
    style: str
    uses_math: bool = False
    keyword: str = "0"
    uses_counter: bool = False


@dataclass
class Program:
    functions: dict[str, Function] = field(default_factory=dict)
    methods: dict[str, tuple[int, str]] = field(default_factory=dict)
    constants: dict[str, int] = field(default_factory=dict)
    twice: tuple[int, int] = (1, 2)
    attributes: dict[str, int] = field(default_factory=dict)
    object_base: bool = False
    #: Two definitions of ``dup``: identical when the versions are equal.
    duplicate: tuple[int, int] = (4, 4)
    counter: int = 0

    def render(self) -> str:
        parts = ["import functools\n"]
        if any(function.uses_math for function in self.functions.values()):
            parts.append("import math\n")
        if any(function.uses_counter for function in self.functions.values()):
            parts.append("from collections import Counter\n")
        parts.append(
            "\nregistry = []\n\n"
            "def logged(function):\n    @functools.wraps(function)\n"
            "    def wrapper(*args, **kwargs):\n        return function(*args, **kwargs)\n"
            "    return wrapper\n\n"
            "def register(function):\n    registry.append(function.__name__)\n"
            "    return function\n\n"
            "LIMIT = 7\n"
        )
        for name, value in self.constants.items():
            parts.append(f"{name} = {value}\n")
        parts.append(f"TWICE = {self.twice[0]}\n")
        for name, function in self.functions.items():
            extra = ", math.floor(2.5)" if function.uses_math else ""
            extra += ", Counter('aab')['a']" if function.uses_counter else ""
            parts.append(
                f"\n{function.style}def {name}(a={function.default}, *, b={function.keyword}):\n"
                f"    return ({name!r}, {function.version}, a, b{extra})\n"
            )
        first, second = self.duplicate
        parts.append(f"\ndef dup():\n    return {first}\n\ndef dup():\n    return {second}\n")
        # State the program changes at run time (``run_actions``): the text never says it.
        parts.append(
            "\nVERBOSE = False\n\nclass Conn:\n    created = 0\n\n    def __init__(self):\n"
            "        Conn.created += 1\n"
        )
        base = "(object)" if self.object_base else ""
        parts.append(f"\nTWICE = {self.twice[1]}\n\nclass K{base}:\n    kind = 'k'\n")
        for name, value in self.attributes.items():
            parts.append(f"    {name} = {value}\n")
        for name, (version, style) in self.methods.items():
            first = {"    @staticmethod\n": ""}.get(style, "self")
            parts.append(
                f"\n{style}    def {name}({first}):\n        return ({name!r}, {version})\n"
            )
        return "".join(parts)


def _fresh_name(program: Program, prefix: str) -> str:
    program.counter += 1
    return f"{prefix}{program.counter}"


def _edit(program: Program, rng: random.Random) -> None:
    action = rng.choice(
        [
            "add function",
            "version",
            "default",
            "keyword",
            "style",
            "math",
            "counter",
            "delete function",
            "constant",
            "delete constant",
            "twice",
            "attribute",
            "delete attribute",
            "object base",
            "duplicate",
            "add method",
            "method",
            "method style",
            "delete method",
        ]
    )
    functions, methods = program.functions, program.methods
    if action == "add function" or (not functions and "function" in action):
        functions[_fresh_name(program, "f")] = Function(
            rng.randint(0, 9), rng.choice(DEFAULTS), rng.choice(FUNCTION_STYLES)
        )
    elif action in ("version", "default", "keyword", "style", "math", "counter", "delete function"):
        name = rng.choice(list(functions)) if functions else None
        if name is None:
            return
        function = functions[name]
        if action == "version":
            function.version += 1
        elif action == "default":
            function.default = rng.choice(DEFAULTS)
        elif action == "style":
            function.style = rng.choice(FUNCTION_STYLES)
        elif action == "keyword":
            function.keyword = rng.choice(DEFAULTS)
        elif action == "math":
            function.uses_math = not function.uses_math
        elif action == "counter":
            function.uses_counter = not function.uses_counter
        else:
            del functions[name]
    elif action == "constant":
        program.constants[rng.choice(["C1", "C2", "C3"])] = rng.randint(0, 9)
    elif action == "delete constant" and program.constants:
        del program.constants[rng.choice(list(program.constants))]
    elif action == "twice":
        program.twice = (rng.randint(0, 9), rng.randint(0, 9))
    elif action == "attribute":
        program.attributes[rng.choice(["a1", "a2"])] = rng.randint(0, 9)
    elif action == "delete attribute" and program.attributes:
        del program.attributes[rng.choice(list(program.attributes))]
    elif action == "object base":
        program.object_base = not program.object_base
    elif action == "duplicate":
        first, second = program.duplicate
        program.duplicate = rng.choice([(first + 1, second), (first, second + 1), (second, second)])
    elif action == "add method" or (not methods and "method" in action):
        methods[_fresh_name(program, "m")] = (rng.randint(0, 9), rng.choice(METHOD_STYLES))
    elif action in ("method", "method style", "delete method"):
        name = rng.choice(list(methods))
        version, style = methods[name]
        if action == "method":
            methods[name] = (version + 1, style)
        elif action == "method style":
            methods[name] = (version, rng.choice(METHOD_STYLES))
        else:
            del methods[name]


def _call(function: Any) -> Any:
    try:
        return function()
    except Exception as error:  # the behaviour to compare includes failing the same way
        return type(error).__name__


def run_actions(module: ModuleType) -> None:
    """What the program does at run time: a flag set, two connections made."""
    module.VERBOSE = True
    module.Conn()
    module.Conn()


def _named(key: str, findings: tuple[Finding, ...]) -> bool:
    """Whether a finding names the definition or statement ``key`` (``K.m1``: K or K.m1)."""
    names = {key, key.partition(".")[0]}
    if key == "registry":  # what ``@register`` did: any registered function may explain it
        names.update(f"f{number}" for number in range(100))
    return any(
        re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", finding.message)
        for name in names
        for finding in findings
    )


def _behaviour(module: ModuleType) -> dict[str, Any]:
    namespace = vars(module)
    answers: dict[str, Any] = {}
    for name, value in sorted(namespace.items()):
        if name.startswith("__") or name in ("functools", "logged", "register", "Conn"):
            continue
        foreign = getattr(value, "__module__", module.__name__) != module.__name__
        if isinstance(value, ModuleType) or (foreign and callable(value)):
            # What an import bound: a removed import keeps its name in both modes
            # (docs/edits.md); whether it is bound shows in the functions using it.
            continue
        if callable(value) and not isinstance(value, type):
            answers[name] = ("call", _call(value), hasattr(value, "cache_clear"))
        elif isinstance(value, type) and name != "K":
            answers[name] = ("type", value.__module__, value.__qualname__)
        elif isinstance(value, type):
            instance = value()
            for member, attribute in sorted(vars(value).items()):
                if member.startswith("__"):
                    continue
                bound = getattr(instance, member)
                kind = type(attribute).__name__
                answers[f"K.{member}"] = (kind, _call(bound) if callable(bound) else bound)
        else:
            answers[name] = value
    answers["Conn.created"] = namespace["Conn"].created
    return answers


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_no_baseline_random_edits_never_silent_when_behaviour_differs(
    unwatched: Live, seed: int
) -> None:
    live = unwatched
    rng = random.Random(seed)
    applied = 0
    for case in range(CASES_PER_SEED):
        before = Program()
        for _ in range(rng.randint(2, 7)):
            _edit(before, rng)
        after = copy.deepcopy(before)
        for _ in range(rng.randint(1, 3)):
            _edit(after, rng)
        module = live.load(before.render(), baseline=False)
        run_actions(module)
        result = live.patch(module, after.render())
        fresh = live.fresh(after.render())
        run_actions(fresh)
        expected = _behaviour(fresh)
        actual = _behaviour(module)
        applied += result.patched_count
        differing = [
            key for key in expected.keys() | actual.keys() if actual.get(key) != expected.get(key)
        ]
        if differing:
            said = (not result.ok) or all(_named(key, result.skipped) for key in differing)
            assert said, (
                f"seed {seed}, case {case}: silent ok while behaviour differs\n"
                f"{result.summary()}\n--- before\n{before.render()}\n--- after\n"
                f"{after.render()}\n{ {k: (actual.get(k), expected.get(k)) for k in expected.keys() | actual.keys() if actual.get(k) != expected.get(k)} }"
            )
        else:
            assert result.ok, result.errors
    # The property is only worth something if the patches do apply changes.
    assert applied > CASES_PER_SEED // 2
