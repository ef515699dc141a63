"""The diagnostics splice has put in each file, per kernel, so they can be replaced.

A save replaces a kernel's diagnostics for the file; a single-definition
reload or a statement run replaces only those on its lines; detaching a kernel
removes all of its diagnostics. What is published for a file is the union over
kernels, with duplicates (two kernels refusing the same edit) shown once.
"""

from __future__ import annotations

from lsprotocol import types

from splice.lsp.convert import buffer_line, report_diagnostics
from splice.lsp.outcomes import PatchReport


class DiagnosticStore:
    def __init__(self) -> None:
        self._by_uri: dict[str, dict[int, list[types.Diagnostic]]] = {}

    def apply(self, report: PatchReport) -> bool:
        """Take in a report's diagnostics; True if the file's diagnostics may have changed."""
        fresh = report_diagnostics(report)
        if not fresh:
            return False
        per_kernel = self._by_uri.setdefault(report.uri, {})
        for pid, diagnostics in fresh.items():
            if report.scope is None:
                per_kernel[pid] = diagnostics
                continue
            first, last = report.scope
            kept = [
                item
                for item in per_kernel.get(pid, [])
                if not first <= buffer_line(item.range.start.line) <= last
            ]
            per_kernel[pid] = kept + diagnostics
        return True

    def forget_kernel(self, pid: int) -> list[str]:
        """Drop a kernel's diagnostics; the uris whose diagnostics changed."""
        changed = []
        for uri, per_kernel in self._by_uri.items():
            if per_kernel.pop(pid, None):
                changed.append(uri)
        return changed

    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        seen: set[tuple[int, int, str, str]] = set()
        merged = []
        for diagnostics in self._by_uri.get(uri, {}).values():
            for item in diagnostics:
                key = (
                    item.range.start.line,
                    item.range.start.character,
                    str(item.code),
                    item.message,
                )
                if key not in seen:
                    seen.add(key)
                    merged.append(item)
        merged.sort(key=lambda item: (item.range.start.line, item.range.start.character))
        return merged

    def findings_data(self, uri: str) -> list[dict[str, object]]:
        """The ``data`` of every diagnostic in the file (what code actions work from)."""
        return [
            item.data
            for per_kernel in self._by_uri.get(uri, {}).values()
            for item in per_kernel
            if isinstance(item.data, dict)
        ]
