"""Which kernels the server talks to: discovery, attaching, and following them.

The runtime directory is polled (a directory listing, cheap) so kernels that
start later are picked up, and each attached kernel's connection is watched so
one that dies is detached at once, without waiting for the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.client.client import KernelClient
from splice.errors import SpliceError
from splice.lsp.discovery import Discovery
from splice.lsp.settings import Settings

logger = logging.getLogger(__name__)

#: Seconds between two looks at the runtime directory.
POLL_INTERVAL = 0.5


def real_path(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


#: ``ended``: a worker of a program that is still attached went away (gunicorn
#: respawns, pools recycle): it runs no old code, so nothing to warn about.
EventKind = Literal["attached", "detached", "died", "ended"]

#: Seconds a process whose connection closed has to be gone, to count as exited.
EXIT_GRACE = 0.5


@dataclass
class Kernel:
    """An attached kernel: its connection and the files it has loaded."""

    info: ConnectionInfo
    client: KernelClient
    #: real path of a source file -> the names of the modules loaded from it
    modules: dict[str, list[str]] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.info.pid

    @property
    def program(self) -> str:
        return self.info.program or os.path.basename(self.info.argv[0] if self.info.argv else "")

    @property
    def program_pid(self) -> int:
        """The pid of the first process of this kernel's program (its own for a lone kernel)."""
        return self.info.program_pid

    @property
    def role(self) -> str:
        return self.info.role

    def describe(self) -> str:
        """``pid 4242 (app.py)``: how a person recognises the kernel."""
        return f"pid {self.pid} ({self.program or 'python'})"

    def add_module(self, name: str, file: str) -> None:
        names = self.modules.setdefault(real_path(file), [])
        if name not in names:
            names.append(name)

    async def refresh_modules(self) -> None:
        self.modules = {}
        for item in await self.client.modules():
            if item.get("file"):
                self.add_module(str(item["name"]), str(item["file"]))

    def module_names(self, path: str) -> list[str]:
        return list(self.modules.get(real_path(path), ()))


@dataclass(frozen=True)
class KernelEvent:
    """Something happened to a kernel: ``attached``, ``detached`` or ``died``."""

    kind: EventKind
    pid: int
    program: str
    reason: str = ""


EventHandler = Callable[[KernelEvent], Awaitable[None]]
KernelListener = Callable[[Kernel, list[str] | None], Coroutine[Any, Any, None]]


def _under(path: str, roots: list[str]) -> bool:
    path = real_path(path)
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


class KernelRegistry:
    """The kernels this server is attached to, and the rules for attaching more."""

    def __init__(self, on_event: EventHandler, directory: str | None = None) -> None:
        self.attached: dict[int, Kernel] = {}
        self.settings = Settings()
        #: Real paths of the workspace folders, and of the open files.
        self.roots: list[str] = []
        self.open_files: set[str] = set()
        self._on_event = on_event
        self._directory = directory
        self._discovery = Discovery(directory)
        #: Kernels the user detached: never re-attached on their own.
        self._declined: set[int] = set()
        #: Kernels looked at and found unrelated to the workspace, until something changes.
        self._unrelated: set[int] = set()
        self._watchers: dict[int, asyncio.Task[None]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[KernelListener] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # Discovery --------------------------------------------------------------------

    def discover(self) -> list[ConnectionInfo]:
        try:
            return self._discovery.kernels()
        except OSError as error:
            logger.warning("cannot read the splice runtime directory: %s", error)
            return []

    def listing(self) -> list[dict[str, Any]]:
        """Every live kernel, attached or not: what ``splice.listKernels`` returns."""
        found = {info.pid: info for info in self.discover()}
        for pid, kernel in self.attached.items():
            found.setdefault(pid, kernel.info)
        return [
            {
                "pid": info.pid,
                "program": info.program,
                "cwd": info.cwd,
                "address": info.address,
                "attached": info.pid in self.attached,
                "startedAt": info.started_at,
                "rootPid": info.program_pid,
                "parentPid": info.parent_pid,
                "role": info.role,
            }
            for info in sorted(found.values(), key=lambda info: (info.started_at, info.pid))
        ]

    def kernels_running(self, path: str) -> list[tuple[Kernel, list[str]]]:
        """The attached kernels that have ``path`` loaded, with its module names there."""
        file = real_path(path)  # once, not once per kernel: a save's hot path
        found = []
        for kernel in self.attached.values():
            names = kernel.modules.get(file)
            if names:
                found.append((kernel, list(names)))
        return found

    def program_size(self, kernel: Kernel) -> int:
        """How many attached processes the kernel's program has (itself included)."""
        return sum(1 for other in self.attached.values() if other.program_pid == kernel.program_pid)

    def label(self, kernel: Kernel) -> str:
        """What results call the process: ``app.py``, or ``-m gunicorn, fork`` in a program of several."""
        if kernel.role == "main" and self.program_size(kernel) == 1:
            return kernel.program
        return f"{kernel.program or 'python'}, {kernel.role}"

    def add_listener(self, listener: KernelListener) -> None:
        """Call ``listener(kernel, files)`` when a kernel is attached (``files``: None) or
        imports source files (their real paths)."""
        self._listeners.append(listener)

    def forget_unrelated(self) -> None:
        """Look again at kernels judged unrelated (new files opened, settings changed)."""
        self._unrelated.clear()

    # Attaching --------------------------------------------------------------------

    async def attach(self, target: int | str, *, explicit: bool = True) -> Kernel:
        """Attach to a kernel by pid or connection file; SpliceError if it cannot be reached."""
        info = connection.load(target if isinstance(target, int) else str(target))
        async with self._lock:
            kernel = await self._connect(info)
        if explicit:
            self._declined.discard(info.pid)
        return kernel

    async def _connect(self, info: ConnectionInfo) -> Kernel:
        existing = self.attached.get(info.pid)
        if existing is not None:
            return existing
        holder: dict[str, Kernel] = {}

        async def notified(method: str, params: Any) -> None:
            kernel = holder.get("kernel")
            if method != "moduleImported" or kernel is None or not isinstance(params, dict):
                return
            if params.get("file"):
                kernel.add_module(str(params.get("name")), str(params["file"]))
                self._tell(kernel, [real_path(str(params["file"]))])

        client = await KernelClient.connect(info, notified, client_name="splice-lsp", timeout=5.0)
        kernel = Kernel(info, client)
        holder["kernel"] = kernel
        try:
            await kernel.refresh_modules()
        except BaseException:
            await client.close()
            raise
        self.attached[info.pid] = kernel
        self._watchers[info.pid] = asyncio.create_task(self._watch(kernel))
        logger.info("attached to kernel %s", kernel.describe())
        await self._on_event(KernelEvent("attached", info.pid, kernel.program))
        self._tell(kernel, None)
        return kernel

    def _tell(self, kernel: Kernel, files: list[str] | None) -> None:
        """Run the listeners in their own task: a notification handler must not wait on requests."""
        for listener in self._listeners:
            task = asyncio.create_task(listener(kernel, files))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def detach(self, pid: int, *, reason: str = "detached") -> bool:
        """Detach from one kernel; True if it was attached."""
        kernel = self.attached.pop(pid, None)
        if kernel is None:
            return False
        if reason == "detached":
            self._declined.add(pid)
        watcher = self._watchers.pop(pid, None)
        if watcher is not None and watcher is not asyncio.current_task():
            watcher.cancel()
        await kernel.client.close()
        kind: EventKind = "detached" if reason == "detached" else "died"
        if kind == "died" and self._worker_of_attached_program(kernel):
            kind = "ended"
        logger.info("kernel %s %s", kernel.describe(), reason)
        await self._on_event(KernelEvent(kind, pid, kernel.program, reason))
        return True

    def _worker_of_attached_program(self, kernel: Kernel) -> bool:
        """A process (not the first) of a program we still follow: its end is routine."""
        if kernel.role == "main":
            return False
        root = self.attached.get(kernel.program_pid)
        return root is not None or any(
            other.program_pid == kernel.program_pid for other in self.attached.values()
        )

    async def detach_all(self) -> None:
        for pid in list(self.attached):
            await self.detach(pid)

    async def _watch(self, kernel: Kernel) -> None:
        await kernel.client.wait_closed()
        if self.attached.get(kernel.pid) is kernel:
            await self.detach(kernel.pid, reason="exited (its connection closed)")

    async def lost(self, kernel: Kernel, error: SpliceError) -> bool:
        """A request found the kernel gone: detach it now, with the reason.

        True when the process has exited (given ``EXIT_GRACE`` to finish
        exiting): it runs no code at all, old or new.
        """
        deadline = asyncio.get_running_loop().time() + EXIT_GRACE
        while connection.pid_alive(kernel.pid):
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.02)
        if self.attached.get(kernel.pid) is kernel:
            await self.detach(kernel.pid, reason=f"exited ({error})")
        return True

    # Following kernels ------------------------------------------------------------

    def start(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_forever())

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        for task in list(self._tasks):
            task.cancel()
        for pid in list(self.attached):
            kernel = self.attached.pop(pid)
            watcher = self._watchers.pop(pid, None)
            if watcher is not None:
                watcher.cancel()
            await kernel.client.close()

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("looking for kernels failed")
            await asyncio.sleep(POLL_INTERVAL)

    async def refresh(self) -> None:
        """One look at the runtime directory: attach to new kernels, drop dead ones."""
        async with self._lock:
            live = {info.pid: info for info in self.discover()}
            for pid in list(self.attached):
                if pid not in live and not connection.pid_alive(pid):
                    await self.detach(pid, reason="exited")
            # The first process of a program first: its workers then follow it.
            for pid, info in sorted(live.items(), key=lambda item: item[1].started_at):
                if pid in self.attached or pid in self._declined or pid == os.getpid():
                    continue
                if self._wanted(info) or await self._related(info):
                    try:
                        await self._connect(info)
                    except SpliceError as error:
                        logger.info("cannot attach to kernel pid %s: %s", pid, error)
                        self._unrelated.add(pid)

    def _wanted(self, info: ConnectionInfo) -> bool:
        """Named in the ``kernels`` setting, or a process of a program we are attached to."""
        if any(kernel.program_pid == info.program_pid for kernel in self.attached.values()):
            return True
        for item in self.settings.kernels:
            if item == info.pid or (
                isinstance(item, str) and real_path(item) == real_path(info.path)
            ):
                return True
        return False

    async def _related(self, info: ConnectionInfo) -> bool:
        """Does the auto-attach policy want this kernel?"""
        policy = self.settings.auto_attach
        if policy == "off" or info.pid in self._unrelated:
            return False
        if policy == "workspace" and self.roots:
            program = os.path.join(info.cwd, info.program) if info.program else ""
            if (info.cwd and _under(info.cwd, self.roots)) or (
                program and _under(program, self.roots)
            ):
                return True
            related = await self._loads_any(info, lambda file: _under(file, self.roots))
        elif self.open_files:
            # No workspace folder (a single file was opened), or policy "file".
            related = await self._loads_any(info, lambda file: real_path(file) in self.open_files)
        else:
            return False
        if not related:
            self._unrelated.add(info.pid)
        return related

    async def _loads_any(self, info: ConnectionInfo, wanted: Callable[[str], bool]) -> bool:
        """Ask the kernel which files it has loaded (a short-lived connection)."""
        try:
            client = await KernelClient.connect(info, client_name="splice-lsp", timeout=2.0)
        except SpliceError as error:
            logger.debug("kernel pid %s cannot be asked: %s", info.pid, error)
            return False
        try:
            modules = await client.request("modules", {}, timeout=5.0)
        except SpliceError:
            return False
        finally:
            await client.close()
        return any(item.get("file") and wanted(item["file"]) for item in modules["modules"])
