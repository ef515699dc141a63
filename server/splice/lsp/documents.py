"""pygls's documents, with lines split as the engine and the client split them.

pygls splits a document with ``str.splitlines``, which also breaks at form
feeds, ``\\x1c``-``\\x1e``, ``\\x85`` and ``\\u2028``; the client (per the LSP
spec) and the engine break only at ``\\n``, ``\\r\\n`` and ``\\r``. pygls applies
each incremental edit by those lines, so below a form feed an edit would land
on the wrong line and the server's copy of the buffer would silently differ
from the editor's. These subclasses use the engine's splitter instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from pygls.workspace import TextDocument, Workspace

from splice.engine.outline.definitions import source_lines_with_ends


class BufferDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return tuple(source_lines_with_ends(self.source))


class BufferWorkspace(Workspace):
    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return BufferDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )


def use_buffer_lines(workspace: Workspace) -> None:
    """Make ``workspace`` (just built by pygls, still empty) create BufferDocuments."""
    # pygls builds the workspace itself during initialize and offers no hook.
    workspace.__class__ = BufferWorkspace
