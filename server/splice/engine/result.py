"""What a patch did, as frozen values that cross process boundaries as JSON."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One thing a patch could not do, or chose not to do, with a stable code.

    ``code`` is listed in docs/edits.md. ``line`` and ``column`` are 1-based and
    refer to the new source (``column`` in characters); ``end_line`` closes the
    range when known.
    """

    code: str
    message: str
    qualname: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    severity: Severity = "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            code=str(data["code"]),
            message=str(data["message"]),
            qualname=data.get("qualname"),
            line=data.get("line"),
            column=data.get("column"),
            end_line=data.get("end_line"),
            severity=data.get("severity", "error"),
        )

    def where(self) -> str:
        """``line 12`` or ``f`` or ``module``: where a person should look."""
        if self.line is not None:
            return f"line {self.line}"
        return self.qualname or "module"


@dataclass(frozen=True)
class PatchResult:
    """The outcome of one ``patch_module`` call.

    ``ok`` is True when every applicable change was applied (skipped top-level
    statements and warnings do not make it False). When it is False nothing of
    the patch stays applied. ``changed`` were patched in place (identity kept);
    ``rebound`` were re-created because their decorators changed, so references
    taken earlier keep the old object; ``moved`` only got new line numbers.
    """

    ok: bool
    module: str
    file: str | None = None
    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    rebound: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    skipped: tuple[Finding, ...] = ()
    errors: tuple[Finding, ...] = ()
    duration_ms: float = 0.0
    dry_run: bool = False
    statements_applied: tuple[int, ...] = field(default=())

    @property
    def patched_count(self) -> int:
        return len(self.changed) + len(self.added) + len(self.deleted) + len(self.rebound)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = [finding.to_dict() for finding in self.skipped]
        data["errors"] = [finding.to_dict() for finding in self.errors]
        for name in ("changed", "added", "deleted", "rebound", "moved", "statements_applied"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PatchResult:
        return cls(
            ok=bool(data["ok"]),
            module=str(data["module"]),
            file=data.get("file"),
            changed=tuple(data.get("changed", ())),
            added=tuple(data.get("added", ())),
            deleted=tuple(data.get("deleted", ())),
            rebound=tuple(data.get("rebound", ())),
            moved=tuple(data.get("moved", ())),
            skipped=tuple(Finding.from_dict(item) for item in data.get("skipped", ())),
            errors=tuple(Finding.from_dict(item) for item in data.get("errors", ())),
            duration_ms=float(data.get("duration_ms", 0.0)),
            dry_run=bool(data.get("dry_run", False)),
            statements_applied=tuple(data.get("statements_applied", ())),
        )

    def summary(self) -> str:
        """One line for a person, e.g. ``patched app.py: total_price changed in 1.8 ms``."""
        name = os.path.basename(self.file) if self.file else self.module
        timing = f"in {self.duration_ms:.1f} ms"
        if not self.ok:
            first = self.errors[0] if self.errors else None
            reason = f"{first.message} ({first.where()})" if first else "unknown error"
            more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            verb = "would not patch" if self.dry_run else "not patched"
            return f"{verb} {name}: {reason}{more}; nothing was changed"
        parts = []
        for label, names in (
            ("changed", self.changed),
            ("added", self.added),
            ("deleted", self.deleted),
            ("rebound", self.rebound),
        ):
            if names:
                parts.append(f"{_names(names)} {label}")
        statements = [f for f in self.skipped if f.code in STATEMENT_SKIP_CODES]
        if statements:
            lines = ", ".join(str(f.line) for f in statements if f.line is not None)
            noun = "statement" if len(statements) == 1 else "statements"
            parts.append(
                f"{len(statements)} {noun} skipped (line{'s' if len(statements) > 1 else ''} {lines})"
            )
        warnings = [
            f
            for f in self.skipped
            if f.code not in STATEMENT_SKIP_CODES and f.severity == "warning"
        ]
        if warnings:
            parts.append(f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}")
        if not parts:
            parts.append("no changes" if not self.moved else f"{len(self.moved)} moved")
        verb = "would patch" if self.dry_run else "patched"
        return f"{verb} {name}: {', '.join(parts)} {timing}"


#: Codes of skipped top-level statements: the user can run them explicitly.
STATEMENT_SKIP_CODES = frozenset({"statement-not-run"})


def _names(names: tuple[str, ...]) -> str:
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"
