"""A generated large application for the cost-at-scale benchmarks (bench_scale.py).

``make_app(folder)`` writes a package ``bigapp`` of ``PACKAGES`` x
``MODULES_PER_PACKAGE`` modules (320 modules, about 30,000 lines: functions
with defaults, dataclasses, classes with properties, static and cached
methods, imports between modules) and ``main.py``, which imports all of it
and, when ``real`` is set, a real dependency tree as well: FastAPI (with
Pydantic and Starlette), Django and NumPy, each when it is installed.

``main.py`` then prints one JSON line (its peak RSS, the baselines splice
keeps if it runs under splice) and exits, or with ``--serve`` sleeps until
killed (a target for ``splice attach`` and for the language server).
"""

from __future__ import annotations

from pathlib import Path

PACKAGES = 16
MODULES_PER_PACKAGE = 20
FUNCTIONS_PER_MODULE = 8
#: Third-party packages ``main.py`` imports with ``real=True``, when importable.
REAL_IMPORTS = (
    "fastapi",
    "fastapi.testclient",
    "pydantic",
    "django",
    "django.http",
    "django.urls",
    "django.db.models",
    "numpy",
)

_MODULE_HEAD = '''\
"""Generated module {package}.{module} of the benchmark application."""

from __future__ import annotations

import dataclasses
import functools
{imports}

SCALE = {index}
NAMES = ("alpha", "beta", "gamma")
'''

_FUNCTION = '''
def compute_{n}(value, scale=SCALE, label="f{n}", *, offset={n}):
    """Function {n}: a little arithmetic and a loop."""
    total = value * scale + offset
    for step in range(3):
        total += step * {n}
    if label.startswith("f"):
        total -= 1
    return total
'''

_CLASSES = '''
@dataclasses.dataclass
class Record{index}:
    """A dataclass with a default and a method."""

    name: str
    size: float = 1.0
    tags: tuple[str, ...] = ()

    def scaled(self, factor=2):
        return self.size * factor


class Service{index}:
    """A class with a property, a static method and a cached method."""

    def __init__(self, size=1.0):
        self.size = size

    def area(self, factor=2):
        return self.size * factor + SCALE

    @property
    def label(self):
        return f"service {{self.size}}"

    @staticmethod
    def kind():
        return "service"

    @functools.lru_cache(maxsize=None)
    def cached(self, x):
        return x * {index}

    def handle(self, request):
        record = Record{index}(str(request), self.size)
        return compute_0(record.scaled()) + {previous}
'''


def module_name(package: int, module: int) -> str:
    return f"bigapp.part{package}.mod{module}"


def make_module(package: int, module: int) -> str:
    index = package * MODULES_PER_PACKAGE + module
    imports = []
    previous = "0"
    if module > 0:
        imports.append(f"from bigapp.part{package} import mod{module - 1} as previous")
        previous = "previous.SCALE"
    head = _MODULE_HEAD.format(
        package=f"part{package}", module=f"mod{module}", imports="\n".join(imports), index=index
    )
    functions = "".join(_FUNCTION.format(n=n) for n in range(FUNCTIONS_PER_MODULE))
    return head + functions + _CLASSES.format(index=index, previous=previous)


_MAIN = '''\
"""The generated application: import everything, report, then exit (or serve)."""

import importlib
import json
import os
import resource
import sys
import time

REAL = {real!r}
for name in REAL:
    try:
        importlib.import_module(name)
    except Exception:
        pass
import bigapp  # noqa: E402  (every module of the application)


def _baselines():
    store = sys.modules.get("splice.engine.baselines.store")
    if store is None:
        return None
    texts = dict(getattr(store, "_sources", {{}}))
    process = sys.modules.get("splice.engine.baselines.process")
    user = 0
    if process is not None:
        user = sum(len(text) for name, text in texts.items()
                   if name in sys.modules and getattr(sys.modules[name], "__file__", None)
                   and process.in_user_scope(sys.modules[name].__file__))
    return {{"modules": len(texts), "characters": sum(map(len, texts.values())), "user": user}}


if "--serve" in sys.argv:
    print("ready", flush=True)
    while True:
        time.sleep(0.005)
else:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({{
        "maxrss_kib": usage.ru_maxrss,
        "cpu": usage.ru_utime + usage.ru_stime,
        "modules": len(sys.modules),
        "baselines": _baselines(),
    }}), flush=True)
'''


def make_app(folder: Path, *, real: bool = True) -> Path:
    """Write the application under ``folder``; return the path of its ``main.py``."""
    root = folder / "bigapp"
    root.mkdir(parents=True, exist_ok=True)
    packages = "\n".join(f"from bigapp import part{p}" for p in range(PACKAGES))
    (root / "__init__.py").write_text(f'"""The benchmark application."""\n\n{packages}\n')
    for package in range(PACKAGES):
        directory = root / f"part{package}"
        directory.mkdir(exist_ok=True)
        modules = "\n".join(
            f"from bigapp.part{package} import mod{m}" for m in range(MODULES_PER_PACKAGE)
        )
        (directory / "__init__.py").write_text(f'"""Part {package}."""\n\n{modules}\n')
        for module in range(MODULES_PER_PACKAGE):
            (directory / f"mod{module}.py").write_text(make_module(package, module))
    main = folder / "main.py"
    main.write_text(_MAIN.format(real=REAL_IMPORTS if real else ()))
    return main


def app_lines(folder: Path) -> int:
    return sum(len(path.read_text().splitlines()) for path in (folder / "bigapp").rglob("*.py"))


if __name__ == "__main__":
    import sys
    import tempfile

    target = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
    print(make_app(target), app_lines(target), "lines")
