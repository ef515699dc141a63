"""Whether a module's file is the text it runs: the three rules of baseline recovery.

1. Every function the module's namespace and classes reach (behind wrappers)
   whose code came from the file has an identical code object in the file
   compiled now. Code equality includes line numbers, constants and nested
   code, and also covers lambdas and closures the planner does not see.
2. The file planned against the live module by the live-object planner, as a
   dry run, changes nothing (no definition, default, decorator, import,
   literal or deletion) and refuses nothing. Definitions below the line a
   module's still-running top-level code has reached are not expected yet.
3. What the live objects cannot show (a decorator that returns its function,
   a top-level statement that is not a literal: the planner's ``*-unverified``
   findings) is vouched for only by the file's times: last modified and last
   changed (``ctime``, which no tool can set back) before this process, or
   the process it was forked from, started. Then the import read this very
   text.

Nothing here runs the user's code: rule 1 rejects an edited function before
any of its defaults would be evaluated.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import Any, Literal

from splice.engine.baselines.process import process_start_ns
from splice.engine.objects.targets import own_attribute
from splice.engine.outline.definitions import Outline, parse_definitions
from splice.engine.outline.prepared import prepared
from splice.engine.plan.steps import code_filename

State = Literal["verified", "differs", "unconfirmed"]
Evidence = Literal["live-objects", "file-times", ""]

#: How deep to follow wrappers to reach a function.
_MAX_DEPTH = 8
#: How the live planner's findings end; said once by the verdict instead.
_NO_BASELINE = " (no baseline: the module was imported before splice)"


@dataclass(frozen=True)
class Verdict:
    """Whether a module's file is the text it runs, and why."""

    module: str
    file: str
    state: State
    reason: str
    #: What proved a verified file: the live objects alone, or with the file's times.
    evidence: Evidence = ""
    lines: int = 0
    duration_ms: float = 0.0

    @property
    def verified(self) -> bool:
        return self.state == "verified"


def judge(name: str, module: ModuleType, path: str) -> tuple[Verdict, str | None, Outline | None]:
    from splice.engine.apply import patch_module

    def verdict(state: State, reason: str, evidence: Evidence = "", lines: int = 0) -> Verdict:
        return Verdict(name, path, state, reason, evidence, lines)

    try:
        with open(path, "rb") as stream:
            data = stream.read()
            status = os.fstat(stream.fileno())
        text = importlib.util.decode_source(data)
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        return verdict("differs", f"the file cannot be read now: {error}"), None, None
    text = text[1:] if text.startswith("\ufeff") else text
    lines = text.count("\n") + (not text.endswith("\n"))
    filename = code_filename(module)
    try:
        # One parse and one compile: the dry run below takes both (outline/prepared.py).
        outline = parse_definitions(text, filename)
        code = compile(outline.tree, filename, "exec", outline.future_flags, dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return (
            verdict("differs", f"the file does not compile now: {error}", lines=lines),
            None,
            None,
        )
    foreign = _function_not_in(module, filename, _all_codes(code))
    if foreign is not None:
        where = f"{foreign.__qualname__} (line {foreign.__code__.co_firstlineno})"
        reason = f"the file differs from what runs: the code of {where} is not in it"
        return verdict("differs", reason, lines=lines), None, None
    with prepared(outline, code, filename):
        result = patch_module(module, text, dry_run=True)
    running = _running_line(module)
    difference = _difference(result, outline, running)
    if difference is not None:
        reason = f"the file differs from what runs: {difference}"
        return verdict("differs", reason, lines=lines), None, None
    unverified = [f for f in result.skipped if f.code.endswith("-unverified")]
    if not unverified:
        reason = "every part of the file matches the live objects"
        return verdict("verified", reason, "live-objects", lines), text, outline
    start = process_start_ns()
    if start is not None and max(status.st_mtime_ns, status.st_ctime_ns) < start:
        reason = (
            "the live objects match the file, and it was last written before the process "
            "started, so the import read this text"
        )
        return verdict("verified", reason, "file-times", lines), text, outline
    first = unverified[0]
    detail = first.message.removesuffix(_NO_BASELINE)
    if not detail.startswith(first.where()):
        detail = f"{first.where()}: {detail}"
    reason = (
        f"the live objects cannot show whether the file is what runs ({detail}), "
        "and it was written after the process started"
    )
    return verdict("unconfirmed", reason, lines=lines), None, None


def _difference(result: Any, outline: Outline, running: int | None) -> str | None:
    """What the dry run would change or refused, or None when it found nothing."""
    from splice.report import describe_changes, describe_errors

    if result.errors:
        return describe_errors(result)
    added = [
        qualname
        for qualname in result.added
        if running is None or not _below(outline, qualname, running)
    ]
    statements = [line for line in result.statements_applied if running is None or line <= running]
    if result.changed or result.deleted or result.rebound or result.moved or added or statements:
        return describe_changes(result)
    for finding in result.skipped:
        if not finding.code.endswith("-unverified"):
            return f"{finding.message} ({finding.where()})"
    return None


def _below(outline: Outline, qualname: str, line: int) -> bool:
    """Whether ``qualname`` (or its outermost class) is defined below ``line``."""
    top = outline.definitions.get(qualname.split(".")[0])
    return top is not None and top.line > line


def _running_line(module: ModuleType) -> int | None:
    """The line a still-running top-level code of ``module`` has reached, if it runs."""
    namespace = vars(module)
    for frame in sys._current_frames().values():
        current: Any = frame
        while current is not None:
            if current.f_code.co_name == "<module>" and current.f_globals is namespace:
                return int(current.f_lineno or 0)
            current = current.f_back
    return None


def _all_codes(code: CodeType) -> set[CodeType]:
    found = set()
    stack = [code]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))
    return found


def _function_not_in(module: ModuleType, filename: str, codes: set[CodeType]) -> Any:
    """A live function from ``filename`` whose code the compiled file lacks, or None."""
    name = module.__name__
    namespaces: list[Any] = [module]
    seen_classes: set[int] = set()
    while namespaces:
        namespace = namespaces.pop()
        for value in list(vars(namespace).values()):
            if isinstance(value, type):
                if value.__module__ == name and id(value) not in seen_classes:
                    seen_classes.add(id(value))
                    namespaces.append(value)
                continue
            for function in _functions_behind(value):
                code = function.__code__
                if code.co_filename == filename and code not in codes:
                    return function
    return None


def _functions_behind(value: Any) -> Iterator[FunctionType]:
    """Plain functions reachable from ``value`` through wrappers, without running properties."""
    seen: set[int] = set()
    frontier: list[tuple[Any, int]] = [(value, 0)]
    while frontier:
        current, depth = frontier.pop()
        if id(current) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(current))
        if isinstance(current, FunctionType):
            yield current
            for cell in current.__closure__ or ():
                try:
                    contents = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if isinstance(contents, FunctionType) or _peek(contents, "__wrapped__"):
                    frontier.append((contents, depth + 1))
        for attribute in ("__wrapped__", "__func__", "fget", "fset", "fdel", "func"):
            inner = _peek(current, attribute)
            if inner is not None:
                frontier.append((inner, depth + 1))


def _peek(value: Any, attribute: str) -> Any:
    if type(value) is FunctionType:  # the most frequent, first
        return own_attribute(value, attribute)
    if isinstance(value, (staticmethod, classmethod, property, MethodType)):
        try:
            return getattr(value, attribute, None)
        except (AttributeError, TypeError):
            return None
    found = own_attribute(value, attribute)
    if found is None and attribute == "func":
        found = getattr(value, "func", None) if _is_partial(value) else None
    return found


def _is_partial(value: Any) -> bool:
    import functools

    return isinstance(value, functools.partial)
