"""An asyncio client for the kernel agent, used by the CLI and the language server.

    client = await KernelClient.connect(info)        # connects and authenticates
    result = await client.patch("app", new_source)   # a PatchResult
    await client.close()

One connection carries any number of requests (the handshake happens once),
each with a deadline (``request_timeout``, or ``timeout=`` per request): a
stopped or deadlocked kernel ends in an error, never a hang. Errors:
KernelUnavailableError (refused, died, closed, no answer in time),
KernelBusyError and KernelTimeoutError (its subclasses: too many clients; no
answer in time), AuthenticationError (wrong token) and its subclass
KernelIdentityError (the process at the kernel's address is not that kernel),
RemoteError (any other JSON-RPC error, with its ``code``).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from splice.agent import authentication, wire
from splice.agent.connection import ConnectionInfo
from splice.client.requests import (  # noqa: F401  (this module's names, as before)
    CLOSE_TIMEOUT,
    CONNECT_TIMEOUT,
    HANDSHAKE_METHODS,
    REQUEST_TIMEOUT,
    patch_params,
    remote_error,
    run_statement_params,
)
from splice.engine.result import PatchResult
from splice.errors import (
    RPC_CODES,
    KernelTimeoutError,
    KernelUnavailableError,
    ProtocolError,
    RemoteError,
)
from splice.logs import get_logger

logger = get_logger(__name__)

NotificationHandler = Callable[[str, Any], "Awaitable[None] | None"]


def _version() -> str:
    try:
        from splice import __version__
    except ImportError:  # pragma: no cover - partial installs
        return "unknown"
    return __version__


async def open_stream(info: ConnectionInfo) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open the kernel's socket; KernelUnavailableError when nothing answers there."""
    try:
        if info.transport == "unix":
            return await asyncio.open_unix_connection(info.address)
        host, _, port = info.address.rpartition(":")
        host = host.strip("[]")  # "[::1]:PORT"
        return await asyncio.open_connection(host, int(port))
    except (OSError, ValueError) as error:
        raise KernelUnavailableError(
            f"kernel pid {info.pid} is not reachable at {info.address} ({error.__class__.__name__}: "
            f"{error}); it may have exited"
        ) from None


class KernelClient:
    """One authenticated connection to one kernel."""

    def __init__(
        self,
        info: ConnectionInfo,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_notification: NotificationHandler | None = None,
        request_timeout: float | None = REQUEST_TIMEOUT,
    ) -> None:
        self.info = info
        #: The deadline of a request that gives none (None: wait as long as it takes).
        self.request_timeout = request_timeout
        #: The kernel's answer to ``initialize`` (pid, python, program, capabilities...).
        self.kernel: dict[str, Any] = {}
        self._reader = reader
        self._writer = writer
        self._on_notification = on_notification
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 1
        self._closed = asyncio.Event()
        self._close_reason = "connection closed"
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def connect(
        cls,
        info: ConnectionInfo,
        on_notification: NotificationHandler | None = None,
        *,
        timeout: float = CONNECT_TIMEOUT,
        client_name: str = "splice",
        request_timeout: float | None = REQUEST_TIMEOUT,
    ) -> KernelClient:
        """Connect to ``info``'s kernel; each side proves it knows the token (never sent).

        KernelIdentityError when the process there is not that kernel: then
        nothing but a random challenge was sent to it.
        """
        handshake = authentication.ClientHandshake(
            info, {"name": client_name, "version": _version()}
        )
        try:
            reader, writer = await asyncio.wait_for(open_stream(info), timeout)
        except asyncio.TimeoutError:
            raise KernelTimeoutError(
                f"kernel pid {info.pid} did not accept a connection in {timeout:g} s"
            ) from None
        client = cls(info, reader, writer, on_notification, request_timeout)
        try:
            authentication.verify_peer(writer.get_extra_info("socket"), info)
            answer = await client.request(
                "initialize", handshake.initialize_params(), timeout=timeout
            )
            client.kernel = await client.request(
                "authenticate", handshake.authenticate_params(answer), timeout=timeout
            )
        except BaseException:
            await client.close()
            raise
        return client

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def close(self) -> None:
        if not self._closed.is_set():
            self._shut("closed by the client")
        self._reader_task.cancel()
        with contextlib.suppress(BaseException):
            await self._reader_task
        try:
            # A stopped kernel reads nothing: unsent bytes would keep the socket open forever.
            await asyncio.wait_for(self._writer.wait_closed(), CLOSE_TIMEOUT)
        except asyncio.TimeoutError:
            self._writer.transport.abort()
        except (OSError, RuntimeError):
            pass

    async def request(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """Send a request and return its result; raise its error.

        ``timeout`` defaults to ``request_timeout``. The request carries a
        deadline just before it (``wire.deadline_after``): a kernel that gets
        to it later (stopped meanwhile, or busy) refuses it, so a request this
        client gave up on is never carried out behind its back.
        """
        if timeout is None:
            timeout = self.request_timeout
        if timeout is not None and method not in HANDSHAKE_METHODS:
            params = {**(params or {}), "deadline": wire.deadline_after(timeout)}
        if self.closed:
            raise KernelUnavailableError(f"kernel pid {self.info.pid}: {self._close_reason}")
        request_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        frame = wire.encode_frame(wire.request(request_id, method, params or {}))
        try:
            # The deadline covers sending too: a stopped kernel stops reading.
            return await asyncio.wait_for(self._exchange(frame, future), timeout)
        except asyncio.TimeoutError:
            raise KernelTimeoutError(
                f"kernel pid {self.info.pid} did not answer {method!r} within {timeout:g} s"
                " (is it stopped, or stuck in a long call?)"
            ) from None
        except (ConnectionError, OSError) as error:
            self._shut(f"connection lost ({error})")
            raise KernelUnavailableError(
                f"kernel pid {self.info.pid}: {self._close_reason}"
            ) from None
        finally:
            self._pending.pop(request_id, None)

    async def _exchange(self, frame: bytes, future: asyncio.Future[Any]) -> Any:
        self._writer.write(frame)
        await self._writer.drain()
        return await asyncio.shield(future)

    # Helpers for each method ---------------------------------------------------------

    async def modules(self) -> list[dict[str, Any]]:
        result = await self.request("modules", {})
        return list(result["modules"])

    async def baseline(self, module: str) -> str | None:
        result = await self.request("baseline", {"module": module})
        source = result.get("source")
        return source if isinstance(source, str) else None

    async def patch(
        self,
        module: str,
        source: str,
        only: list[str] | tuple[str, ...] | None = None,
        dry_run: bool = False,
        delete_removed: bool = True,
        *,
        baseline: str | None = None,
    ) -> PatchResult:
        """With ``baseline`` (the text the kernel was last sent), only the edit of it is sent;
        a kernel that runs another text refuses it and gets the whole text."""
        params = patch_params(module, source, only, dry_run, delete_removed)
        if baseline is not None and baseline != source:
            from splice.agent import deltas

            edited = dict(params, edit=deltas.edit_between(baseline, source))
            del edited["source"]
            try:
                return PatchResult.from_dict(await self.request("patch", edited))
            except RemoteError as error:
                if error.code != RPC_CODES["invalid_params"]:
                    raise
        return PatchResult.from_dict(await self.request("patch", params))

    async def run_statement(self, module: str, line: int, source: str | None = None) -> PatchResult:
        params = run_statement_params(module, line, source)
        return PatchResult.from_dict(await self.request("runStatement", params))

    async def undo(self, module: str) -> PatchResult:
        """Patch ``module`` back to the text it ran before its last patch."""
        return PatchResult.from_dict(await self.request("undo", {"module": module}))

    async def evaluate(self, expression: str, module: str = "__main__") -> str:
        result = await self.request("evaluate", {"module": module, "expression": expression})
        return str(result["value"])

    # Internals -----------------------------------------------------------------------

    def _fail_pending(self, error: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)

    def _shut(self, reason: str) -> None:
        if self._closed.is_set():
            return
        self._close_reason = reason
        self._closed.set()
        self._fail_pending(KernelUnavailableError(f"kernel pid {self.info.pid}: {reason}"))
        with contextlib.suppress(Exception):
            self._writer.close()

    async def _read_loop(self) -> None:
        reason = "the kernel closed the connection (it may have exited)"
        try:
            while True:
                message = await wire.read_frame_async(self._reader)
                if message is None:
                    break
                await self._dispatch(message)
        except asyncio.CancelledError:
            reason = "closed by the client"
            raise
        except (ProtocolError, ConnectionError, OSError) as error:
            reason = f"connection lost ({error})"
        finally:
            self._shut(reason)

    async def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict):
            logger.warning("kernel pid %s sent a non-object message", self.info.pid)
            return
        if "id" in message and "method" not in message:
            if message["id"] is None and "error" in message:
                # Refused before any request could be read (busy): it answers them all.
                self._fail_pending(remote_error(message["error"]))
                return
            future = self._pending.get(message["id"])
            if future is None or future.done():
                return
            if "error" in message:
                future.set_exception(remote_error(message["error"]))
            else:
                future.set_result(message.get("result"))
            return
        method = message.get("method")
        if isinstance(method, str) and "id" not in message and self._on_notification is not None:
            try:
                outcome = self._on_notification(method, message.get("params"))
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                logger.exception("notification handler failed for %s", method)
