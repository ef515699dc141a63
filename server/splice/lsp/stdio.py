"""The language server's stdio: messages read by the event loop, not by a thread.

pygls's ``start_io`` reads each header line and each body in a worker thread
(``run_in_executor``): three hand-offs between threads for every message, a
good part of the time between an editor's save and the status it shows. When
stdin is a pipe or a socket, as editors start a server, the event loop reads
it itself (``connect_read_pipe``) and hands pygls's message loop an
``asyncio.StreamReader``, which has the ``readline``/``readexactly`` it asks
for. Anything else (a file, a terminal, Windows) keeps pygls's own reader.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
import threading
from typing import BinaryIO

from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer

logger = logging.getLogger(__name__)


def serve(server: LanguageServer) -> None:
    """Serve ``server`` on this process's stdin and stdout until the client leaves."""
    stdin = sys.stdin.buffer
    if not _event_loop_can_read(stdin):
        server.start_io()
        return
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(_serve(server, stdin))
    except BrokenPipeError:
        logger.error("the client closed the connection; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass  # SystemExit: the client's ``exit`` notification, as pygls's own loop ends
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]  # its thread pool, as start_io does


def _event_loop_can_read(stream: BinaryIO) -> bool:
    if os.name != "posix":  # Windows' proactor loop reads only overlapped pipes
        return False
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def _serve(server: LanguageServer, stdin: BinaryIO) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
    await run_async(
        stop_event=threading.Event(),
        reader=reader,
        protocol=server.protocol,
        logger=logger,
        error_handler=server.report_server_error,
    )
