"""The main script of a spawn or forkserver worker, run in ``__mp_main__``'s own namespace.

multiprocessing runs the parent's main script again in each spawned worker
(and in the forkserver) as ``__mp_main__``, through ``runpy``, which runs it
in a scratch module and copies the result into a new module. So the
functions' ``__globals__`` is the scratch dict, not
``sys.modules["__mp_main__"].__dict__``: a patch of ``__mp_main__`` would put
changed constants and new imports where the functions never look (a new
import is then a ``NameError`` right after "patched"). Under ``splice run``,
a spawned child runs the script the way ``python SCRIPT`` runs ``__main__``:
in the module's own dict, with its text recorded as the baseline. Every other
detail is multiprocessing's (the module's attributes, ``sys.argv[0]`` during
the run, ``old_main_modules``); anything unusual (a directory or zip as the
main path, IPython's launcher, a module without source) is left to
multiprocessing itself.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import sys
import types
from collections.abc import Callable
from typing import Any

MAIN = "__mp_main__"


def run_main_in_its_module() -> None:
    """Make multiprocessing's ``spawn`` run the main script in ``__mp_main__``'s own dict."""
    import multiprocessing.spawn

    spawn: Any = multiprocessing.spawn  # its private functions are not in typeshed
    if getattr(spawn._fixup_main_from_path, "splice", False):
        return

    def runs_script_itself(main_path: str, current: Any) -> bool:
        name = os.path.splitext(os.path.basename(main_path))[0]
        return name == "ipython" or getattr(current, "__file__", None) == main_path

    def runs_module_itself(module_name: str, current: Any) -> bool:
        return (
            module_name == "__main__"
            or module_name.endswith(".__main__")
            or getattr(current.__spec__, "name", None) == module_name
        )

    spawn._fixup_main_from_path = _fixup(
        spawn, spawn._fixup_main_from_path, runs_script_itself, _from_path
    )
    spawn._fixup_main_from_name = _fixup(
        spawn, spawn._fixup_main_from_name, runs_module_itself, _from_name
    )


def _fixup(
    spawn: Any,
    original: Callable[[str], None],
    runs_itself: Callable[[str, Any], bool],
    program_of: Callable[[str], Program | None],
) -> Callable[[str], None]:
    """multiprocessing's fix-up of the main module, running the program in ``__mp_main__``'s
    own dict; the original where it would not run the program (or splice cannot read it)."""

    def fixup(target: str) -> None:
        current = sys.modules["__main__"]
        program = None if runs_itself(target, current) else program_of(target)
        if program is None:
            original(target)
            return
        spawn.old_main_modules.append(current)
        _run(*program)

    fixup.splice = True  # type: ignore[attr-defined]
    return fixup


Program = tuple[str, types.CodeType, str, dict[str, Any]]


def _from_path(main_path: str) -> Program | None:
    """What ``runpy.run_path`` would run for a script file, or None to let it run it."""
    if pkgutil.get_importer(main_path) is not None or not os.path.isfile(main_path):
        return None  # a directory or zip archive: runpy runs its __main__
    try:
        with open(main_path, "rb") as stream:
            data = stream.read()
        source = importlib.util.decode_source(data)
        code = compile(data, main_path, "exec", dont_inherit=True)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None  # multiprocessing raises its own error, as without splice
    attributes: dict[str, Any] = {
        "__file__": main_path,
        "__cached__": None,
        "__loader__": None,
        "__package__": "",
        "__spec__": None,
    }
    return source, code, main_path, attributes


def _from_name(module_name: str) -> Program | None:
    """What ``runpy.run_module`` would run for ``-m MODULE``, or None to let it run it."""
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return None
    loader: Any = spec.loader if spec is not None else None
    if spec is None or loader is None or spec.submodule_search_locations is not None:
        return None
    try:
        source = loader.get_source(module_name)
        code = loader.get_code(module_name)
    except (ImportError, OSError, SyntaxError):
        return None
    if not isinstance(source, str) or not isinstance(code, types.CodeType):
        return None
    filename = spec.origin if spec.has_location and spec.origin else module_name
    attributes: dict[str, Any] = {
        "__file__": spec.origin if spec.has_location else None,
        "__cached__": spec.cached,
        "__loader__": loader,
        "__package__": spec.parent,
        "__spec__": spec,
    }
    if not spec.has_location:
        del attributes["__file__"]
    return source, code, filename, attributes


def _run(source: str, code: types.CodeType, filename: str, attributes: dict[str, Any]) -> None:
    """Run the main script as ``__mp_main__`` in the module's own dict, as runpy times it."""
    from splice.engine.baselines.store import forget_baseline, notify_imported, remember_baseline

    module = types.ModuleType(MAIN)
    module.__dict__.update(attributes)
    previous = sys.modules.get(MAIN)
    argv0 = sys.argv[0] if sys.argv else None
    # runpy shows the module under its name, and the script as argv[0], while it runs.
    sys.modules[MAIN] = module
    if sys.argv:
        sys.argv[0] = filename
    remember_baseline(MAIN, source)
    try:
        exec(code, module.__dict__)
    except BaseException:
        forget_baseline(MAIN)
        if previous is None:
            sys.modules.pop(MAIN, None)
        else:
            sys.modules[MAIN] = previous
        raise
    finally:
        if argv0 is not None:
            sys.argv[0] = argv0
    sys.modules["__main__"] = sys.modules[MAIN] = module
    if os.path.isfile(filename):
        notify_imported(MAIN, os.path.realpath(filename))
