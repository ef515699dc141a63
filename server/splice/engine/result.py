"""What a patch did, as frozen values that cross process boundaries as JSON."""

from __future__ import annotations

from splice.records import Record
from splice.report import describe_result

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    Severity = Literal["error", "warning", "info"]
else:
    Severity = str  # only annotations use it, and ``typing`` stays unloaded


class Place(Record):
    """A line of another module than the patched one: where a finding's stale thing lives."""

    module: str
    file: str
    line: int


class Finding(Record):
    """One thing a patch could not do, or chose not to do, with a stable code.

    ``code`` is listed in docs/edits.md. ``line`` and ``column`` are 1-based and
    refer to the new source (``column`` in characters); ``end_line`` closes the
    range when known. ``place`` is set when what the finding names lives in
    another module (an importer's statement), and ``rerun`` when the statement
    it names (at ``place``, else at ``line``) is safe to run again.
    """

    code: str
    message: str
    qualname: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    severity: Severity = "error"
    place: Place | None = None
    rerun: bool = False

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict  # the kernel has it loaded; a client rarely needs it

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
            place=Place(**place) if isinstance(place := data.get("place"), dict) else None,
            rerun=bool(data.get("rerun", False)),
        )

    def where(self) -> str:
        """``line 12`` or ``f`` or ``module``: where a person should look."""
        if self.line is not None:
            return f"line {self.line}"
        return self.qualname or "module"


class PatchResult(Record):
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
    statements_applied: tuple[int, ...] = ()

    @property
    def patched_count(self) -> int:
        return len(self.changed) + len(self.added) + len(self.deleted) + len(self.rebound)

    def to_dict(self) -> dict[str, Any]:
        # Field by field, in their order: ``dataclasses.asdict`` would deep-copy every
        # finding before each is converted by its own ``to_dict`` (a tenth of a patch).
        data: dict[str, Any] = {}
        for name in self._fields:
            value = self.__dict__[name]
            if isinstance(value, tuple):  # names, lines or findings: JSON lists
                value = [item.to_dict() if isinstance(item, Finding) else item for item in value]
            data[name] = value
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

    @property
    def statements_skipped(self) -> tuple[Finding, ...]:
        """Top-level statements not run: the user can run them explicitly."""
        return tuple(f for f in self.skipped if f.code in STATEMENT_SKIP_CODES)

    @property
    def unverified(self) -> tuple[Finding, ...]:
        """Definitions splice could not check against what runs (no baseline)."""
        return tuple(
            f
            for f in self.skipped
            if f.code.endswith("-unverified") and f.code not in STATEMENT_SKIP_CODES
        )

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Skips a person should look at (not statements, not mere information)."""
        return tuple(
            f
            for f in self.skipped
            if f.code not in STATEMENT_SKIP_CODES and f.severity == "warning"
        )

    @property
    def first_error(self) -> Finding | None:
        return self.errors[0] if self.errors else None

    @property
    def fully_applied(self) -> bool:
        """Applied, and no top-level statement was left unrun."""
        return self.ok and not self.statements_skipped

    def summary(self) -> str:
        """One line for a person, e.g. ``patched app.py: total_price changed in 1.8 ms``."""
        return describe_result(self)


#: Codes of skipped top-level statements: the user can run them explicitly.
STATEMENT_SKIP_CODES = frozenset({"statement-not-run", "statement-unverified"})


class ProcessOutcome(Record):
    """One process's answer to one patch (``result``), or why there is none (``error``)."""

    pid: int
    program: str
    result: PatchResult | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    @property
    def who(self) -> str:
        return f"pid {self.pid} ({self.program or 'python'})"
