"""Random programs for the differential test (``differential.py``).

A ``Program`` is a module as data (decorators with and without
``functools.wraps``, a decorator that may become a decorator factory, closure
factories and the closures they made at import, functions of every kind and
decorator style, identical same-name definitions, classes with literals and
methods of every kind, a dataclass, an enum, literals, and state the program
changes at run time). ``edit`` changes it the way a person edits a file: a
body, a decorator, a position, a literal, a header; only edits a live
program can take.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

#: Decorators a function may have (up to two, outermost first).
FUNCTION_DECORATORS = ["logged", "crunch", "tagged", "cache", "incremented"]
METHOD_STYLES = ["", "static", "class", "property", "logged", "crunch", "cache", "factory"]
TAGS = ["a", "b"]
DECORATORS = ("logged", "crunch", "tagged", "incremented")
DEFAULTS = ["1", "2", "LIMIT", "'s'", "None"]
HEADER = "import dataclasses\nimport enum\nimport functools\n"


@dataclass
class Function:
    version: int
    style: tuple[str, ...] = ()
    kind: str = "def"  # def, async, generator
    default: str = "1"
    tag: str = "a"


@dataclass
class Factory:
    version: int
    argument: int
    lambda_: bool = False


@dataclass
class Klass:
    object_base: bool = False
    literals: dict[str, int] = field(default_factory=dict)
    methods: dict[str, tuple[int, str]] = field(default_factory=dict)
    padding: dict[str, int] = field(default_factory=dict)


@dataclass
class Program:
    decorators: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DECORATORS, 0))
    factory_shape: bool = False  # ``incremented`` takes an argument: ``@incremented(2)``
    constants: dict[str, int] = field(default_factory=dict)
    factories: dict[str, Factory] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    duplicates: dict[str, tuple[int, int]] = field(default_factory=dict)
    classes: dict[str, Klass] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=lambda: {"x": 1, "y": 2})
    point_version: int = 0
    color_version: int = 0
    #: ``Box.value``: the getter's and the setter's versions (None: no setter).
    box: tuple[int, int | None] = (0, 0)
    #: Two ``@register def handle`` siblings, each with its version.
    handlers: tuple[int, int] = (0, 0)
    padding: dict[str, int] = field(default_factory=dict)
    counter: int = 0

    def fresh_name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def render(self) -> tuple[str, dict[str, tuple[int, int]]]:
        """The text, and the lines of each definition and named statement."""
        writer = _Writer(self.padding)
        writer.add("header", HEADER)
        version = self.decorators
        writer.add(
            "logged",
            "def logged(function):\n    @functools.wraps(function)\n"
            "    def wrapper(*args, **kwargs):\n"
            f"        return ('logged', {version['logged']}, function(*args, **kwargs))\n"
            "    return wrapper\n",
        )
        writer.add(
            "crunch",
            "def crunch(function):\n    def wrapper(*args, **kwargs):\n"
            f"        return ('crunch', {version['crunch']}, function(*args, **kwargs))\n"
            "    return wrapper\n",
        )
        writer.add(
            "tagged",
            "def tagged(tag):\n    def decorate(function):\n"
            "        def wrapper(*args, **kwargs):\n"
            f"            return (tag, {version['tagged']}, function(*args, **kwargs))\n"
            "        return wrapper\n    return decorate\n",
        )
        if self.factory_shape:
            writer.add(
                "incremented",
                "def incremented(step):\n    def decorate(function):\n"
                "        def wrapper(*args, **kwargs):\n"
                f"            return ('incremented', {version['incremented']}, step, "
                "function(*args, **kwargs))\n        return wrapper\n    return decorate\n",
            )
        else:
            writer.add(
                "incremented",
                "def incremented(function):\n    def wrapper(*args, **kwargs):\n"
                f"        return ('incremented', {version['incremented']}, "
                "function(*args, **kwargs))\n    return wrapper\n",
            )
        writer.add("LIMIT", "LIMIT = 7\n")
        for name, value in self.constants.items():
            writer.add(name, f"{name} = {value}\n")
        writer.add("VERBOSE", "VERBOSE = False\n")
        writer.add(
            "Conn",
            "class Conn:\n    created = 0\n\n    def __init__(self):\n        Conn.created += 1\n",
        )
        for name, factory in self.factories.items():
            body = (
                f"    return lambda x: (x * k, {factory.version})\n"
                if factory.lambda_
                else f"    def inner(x):\n        return (x * k, {factory.version})\n"
                "    return inner\n"
            )
            writer.add(f"make{name}", f"def make{name}(k):\n{body}")
            writer.add(f"clo{name}", f"clo{name} = make{name}({factory.argument})\n")
        for name, function in self.functions.items():
            writer.add(name, self.render_function(name, function))
        for name, (first, second) in self.duplicates.items():
            writer.add(f"{name}#0", f"def {name}():\n    return {first}\n")
            writer.add(name, f"def {name}():\n    return {second}\n")
        for name, klass in self.classes.items():
            writer.add(name, _render_class(name, klass))
        fields = "".join(f"    {field}: int = {value}\n" for field, value in self.fields.items())
        writer.add(
            "Point",
            f"@dataclasses.dataclass\nclass Point:\n{fields}\n    def norm(self):\n"
            f"        return ({self.point_version}, dataclasses.astuple(self))\n",
        )
        getter, setter = self.box
        box = (
            "class Box:\n    def __init__(self):\n        self._value = 0\n\n"
            f"    @property\n    def value(self):\n        return ({getter}, self._value)\n"
        )
        if setter is not None:
            box += (
                "\n    @value.setter\n    def value(self, value):\n"
                f"        self._value = value + {setter}\n"
            )
        writer.add("Box", box)
        writer.add(
            "register",
            "handlers = []\n\ndef register(function):\n    handlers.append(function)\n"
            "    return function\n",
        )
        for number, version in enumerate(self.handlers):
            writer.add(
                "handle" if number else "handle#0",
                f"@register\ndef handle():\n    return ({number}, {version})\n",
            )
        writer.add(
            "Color",
            "class Color(enum.Enum):\n    RED = 1\n    GREEN = 2\n\n    def describe(self):\n"
            f"        return ({self.color_version}, self.name)\n",
        )
        return writer.text(), writer.spans

    def render_function(self, name: str, function: Function) -> str:
        spelled = {
            "logged": "@logged\n",
            "crunch": "@crunch\n",
            "tagged": f"@tagged({function.tag!r})\n",
            "cache": "@functools.cache\n",
            "incremented": "@incremented(2)\n" if self.factory_shape else "@incremented\n",
        }
        decorators = "".join(spelled[style] for style in function.style)
        head = f"def {name}(a={function.default}):\n"
        if function.kind == "async":
            return f"{decorators}async {head}    return ({name!r}, {function.version}, a)\n"
        if function.kind == "generator":
            return f"{decorators}{head}    yield {name!r}\n    yield ({function.version}, a)\n"
        return f"{decorators}{head}    return ({name!r}, {function.version}, a)\n"

    def related(self, key: str) -> list[str]:
        """The definitions and statements a probe's answer depends on."""
        base = key.partition(".")[0]
        names = [key, base]
        if base.startswith("clo") or base.startswith("make"):
            suffix = base[3:] if base.startswith("clo") else base[4:]
            names += [f"clo{suffix}", f"make{suffix}"]
        function = self.functions.get(base)
        if function is not None:
            names += [style for style in function.style if style != "cache"]
        if base in self.duplicates:
            names.append(f"{base}#0")
        if base == "handlers":
            names += ["handle", "handle#0", "register"]
        if base == "handle":
            names.append("register")
        return names


class _Writer:
    def __init__(self, padding: dict[str, int]) -> None:
        self.padding = padding
        self.lines: list[str] = []
        self.spans: dict[str, tuple[int, int]] = {}

    def add(self, name: str, text: str) -> None:
        self.lines += ["# padding"] * self.padding.get(name, 0)
        start = len(self.lines) + 1
        self.lines += text.splitlines()
        self.spans[name] = (start, len(self.lines))
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _render_class(name: str, klass: Klass) -> str:
    header = f"class {name}(object):\n" if klass.object_base else f"class {name}:\n"
    lines = [header, "    kind = 'k'\n"]
    lines += [f"    {literal} = {value}\n" for literal, value in klass.literals.items()]
    for method, (version, style) in klass.methods.items():
        lines.append("    # padding\n" * klass.padding.get(method, 0))
        if style == "factory":
            lines.append(
                f"\n    def {method}(self):\n        def inner():\n"
                f"            return ({method!r}, {version}, self.kind)\n        return inner\n"
            )
            continue
        decorator, first, kind = {
            "": ("", "self", "self.kind"),
            "static": ("    @staticmethod\n", "", "'static'"),
            "class": ("    @classmethod\n", "cls", "cls.kind"),
            "property": ("    @property\n", "self", "self.kind"),
            "logged": ("    @logged\n", "self", "self.kind"),
            "crunch": ("    @crunch\n", "self", "self.kind"),
            "cache": ("    @functools.cache\n", "self", "self.kind"),
        }[style]
        lines.append(
            f"\n{decorator}    def {method}({first}):\n"
            f"        return ({method!r}, {version}, {kind})\n"
        )
    return "".join(lines)


# -- generating ------------------------------------------------------------
def random_program(rng: random.Random) -> Program:
    program = Program()
    for _ in range(rng.randint(1, 2)):
        program.factories[program.fresh_name("")] = Factory(rng.randint(0, 9), rng.randint(1, 5))
    for _ in range(rng.randint(2, 5)):
        program.functions[program.fresh_name("f")] = Function(
            rng.randint(0, 9), _random_style(rng), default=rng.choice(DEFAULTS)
        )
    program.duplicates[program.fresh_name("dup")] = (4, 4)
    for _ in range(rng.randint(1, 2)):
        klass = Klass(object_base=rng.random() < 0.3)
        klass.literals = {"flag": rng.randint(0, 1)}
        for _ in range(rng.randint(1, 3)):
            klass.methods[program.fresh_name("m")] = (rng.randint(0, 9), rng.choice(METHOD_STYLES))
        program.classes[program.fresh_name("K")] = klass
    if rng.random() < 0.5:
        program.constants[program.fresh_name("C")] = rng.randint(0, 9)
    return program


EDITS = [
    "body",
    "body",
    "decorator body",
    "closure body",
    "style",
    "tag",
    "kind",
    "default",
    "move",
    "move",
    "shape",
    "add function",
    "delete function",
    "duplicate",
    "class literal",
    "delete class literal",
    "object base",
    "method",
    "method style",
    "add method",
    "delete method",
    "constant",
    "delete constant",
    "field",
    "point",
    "color",
    "box",
    "handlers",
    "move method",
    "lambda",
    "add factory",
    "delete factory",
]


def edit(program: Program, rng: random.Random) -> str:
    """One random edit, in place; returns its name."""
    action = rng.choice(EDITS)
    functions, classes = program.functions, program.classes
    if action == "body" and functions:
        rng.choice(list(functions.values())).version += 1
    elif action == "decorator body":
        program.decorators[rng.choice(DECORATORS)] += 1
    elif action == "closure body" and program.factories:
        rng.choice(list(program.factories.values())).version += 1
    elif action == "lambda" and program.factories:
        factory = rng.choice(list(program.factories.values()))
        factory.lambda_ = not factory.lambda_
    elif action == "style" and functions:
        function = rng.choice(list(functions.values()))
        function.style = _random_style(rng) if function.kind == "def" else ()
    elif action == "tag" and functions:
        rng.choice(list(functions.values())).tag = rng.choice(TAGS)
    elif action == "kind" and functions:
        function = rng.choice(list(functions.values()))
        function.kind = rng.choice(["def", "async", "generator"])
        if function.kind != "def":
            function.style = ()
    elif action == "default" and functions:
        rng.choice(list(functions.values())).default = rng.choice(DEFAULTS)
    elif action == "move":
        blocks = ["logged", "crunch", "tagged", "incremented", "Point", "Color", "Conn"]
        blocks += [f"make{name}" for name in program.factories]
        blocks += list(functions) + list(classes) + list(program.duplicates)
        block = rng.choice(blocks)
        program.padding[block] = rng.choice([0, 1, 2, 3])
    elif action == "shape":
        program.factory_shape = not program.factory_shape
    elif action == "add function":
        _insert(functions, program.fresh_name("f"), Function(rng.randint(0, 9)), rng)
    elif action == "delete function" and functions:
        del functions[rng.choice(list(functions))]
    elif action == "duplicate" and program.duplicates:
        name = rng.choice(list(program.duplicates))
        first, second = program.duplicates[name]
        program.duplicates[name] = rng.choice(
            [(first + 1, second), (first, second + 1), (second, second), (first, first)]
        )
    elif action in ("class literal", "delete class literal", "object base") and classes:
        klass = rng.choice(list(classes.values()))
        if action == "object base":
            klass.object_base = not klass.object_base
        elif action == "class literal":
            klass.literals[rng.choice(["flag", "limit"])] = rng.randint(0, 9)
        elif klass.literals:
            del klass.literals[rng.choice(list(klass.literals))]
    elif action in ("method", "method style", "add method", "delete method") and classes:
        klass = rng.choice(list(classes.values()))
        if action == "add method" or not klass.methods:
            _insert(
                klass.methods,
                program.fresh_name("m"),
                (rng.randint(0, 9), rng.choice(METHOD_STYLES)),
                rng,
            )
        else:
            name = rng.choice(list(klass.methods))
            version, style = klass.methods[name]
            if action == "method":
                klass.methods[name] = (version + 1, style)
            elif action == "method style":
                klass.methods[name] = (version, rng.choice(METHOD_STYLES))
            else:
                del klass.methods[name]
    elif action == "constant":
        program.constants[rng.choice(["C1", "C2"])] = rng.randint(0, 9)
    elif action == "delete constant" and program.constants:
        del program.constants[rng.choice(list(program.constants))]
    elif action == "field":
        name = rng.choice(["x", "y", "z"])
        if name == "z" and "z" in program.fields and rng.random() < 0.5:
            del program.fields["z"]
        else:
            program.fields[name] = rng.randint(0, 9)
    elif action == "box":
        getter, setter = program.box
        program.box = rng.choice(
            [(getter + 1, setter), (getter, (setter or 0) + 1), (getter, None), (getter, 0)]
        )
    elif action == "handlers":
        first, second = program.handlers
        program.handlers = rng.choice([(first + 1, second), (first, second + 1), (second, second)])
    elif action == "move method" and classes:
        klass = rng.choice(list(classes.values()))
        if klass.methods:
            klass.padding[rng.choice(list(klass.methods))] = rng.choice([0, 1, 2])
    elif action == "point":
        program.point_version += 1
    elif action == "color":
        program.color_version += 1
    elif action == "add factory":
        program.factories[program.fresh_name("")] = Factory(rng.randint(0, 9), rng.randint(1, 5))
    elif action == "delete factory" and program.factories:
        del program.factories[rng.choice(list(program.factories))]
    else:
        program.padding["header"] = rng.choice([0, 1])
        return "move"
    return action


def _random_style(rng: random.Random) -> tuple[str, ...]:
    count = rng.choice([0, 0, 1, 1, 2])
    return tuple(rng.choice(FUNCTION_DECORATORS) for _ in range(count))


def _insert(table: dict[str, Any], name: str, value: Any, rng: random.Random) -> None:
    items = list(table.items())
    items.insert(rng.randint(0, len(items)), (name, value))
    table.clear()
    table.update(items)
