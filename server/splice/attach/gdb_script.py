"""Runs inside gdb's own Python (``gdb -x``): queue the bootstrap as a pending call in the target.

Why not gdb's ``call``: gdb 13 cannot write back the x86 extended register
state on kernels whose XSAVE area it does not know (AMX here): the call's
register restore fails with "Couldn't write extended state status" and the
interrupted system call returns -ERESTARTNOHAND to the program, which then
dies of an OSError. So this script makes its two calls itself, writing only
general-purpose registers: it saves them, points ``rip`` at the function with
a return address of 0 (the return faults at address 0, which gdb catches
and does not pass on), reads ``rax`` and restores every register, with
``orig_rax`` so that an interrupted system call restarts as if nothing
happened. Vector registers are not restored, so the calls are made in a
thread stopped inside a system call when there is one (its vector registers
are dead under the calling convention), the main thread first.

The two calls: ``mmap`` one page for the code string, then
``Py_AddPendingCall(PyRun_SimpleString, page)``. Neither needs the GIL; the
interpreter's main thread runs the string at its next eval-breaker check,
between two bytecodes, with the GIL held: a safe point.

Input: ``$SPLICE_ATTACH_REQUEST`` holds JSON ``{"pid", "code"}`` (the code in hex).
Output: one stdout line ``SPLICE-ATTACH-RESULT {json}``.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

MARKER = "SPLICE-ATTACH-RESULT "
_REGISTERS = (
    "rax",
    "rbx",
    "rcx",
    "rdx",
    "rsi",
    "rdi",
    "rbp",
    "rsp",
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
    "eflags",
    "orig_rax",
    "rip",
)
_ARGUMENT_REGISTERS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")
#: Below the interrupted frame's red zone, and then some.
_STACK_GAP = 4096
_PAGE = 4096
_PROT_READ_WRITE = 0x3
_MAP_PRIVATE_ANONYMOUS = 0x22
_MASK = (1 << 64) - 1


class CallInterruptedError(Exception):
    """A call did not return (gdb was interrupted while it ran)."""


def _gdb() -> Any:
    return importlib.import_module("gdb")


def _read(name: str) -> int:
    gdb = _gdb()
    if name == "eflags":
        return int(gdb.parse_and_eval("(long)(int)$eflags")) & 0xFFFFFFFF
    return int(gdb.selected_frame().read_register(name)) & _MASK


def _write(name: str, value: int) -> None:
    _gdb().execute(f"set ${name} = {_signed(value)}", to_string=True)


def _signed(value: int) -> int:
    value &= _MASK
    return value - (1 << 64) if value >> 63 else value


def _address(symbol: str) -> int:
    return int(_gdb().parse_and_eval(f"(long)&{symbol}")) & _MASK


def call(address: int, *arguments: int) -> int:
    """Call a C function of integer arguments in the selected thread; return ``rax``."""
    gdb = _gdb()
    saved = {name: _read(name) for name in _REGISTERS}
    try:
        stack = ((saved["rsp"] - _STACK_GAP) & ~15) - 8
        gdb.selected_inferior().write_memory(stack, (0).to_bytes(8, "little"))
        for name, value in zip(_ARGUMENT_REGISTERS, arguments, strict=False):
            _write(name, value)
        _write("rax", 0)
        # -1: not in a system call, so the kernel does not "restart" one into our call.
        _write("orig_rax", -1)
        _write("rsp", stack)
        _write("rip", address)
        gdb.execute("continue", to_string=True)
        if _read("rip") != 0:
            raise CallInterruptedError(f"the call at {address:#x} did not return")
        return _read("rax")
    finally:
        for name in _REGISTERS:
            _write(name, saved[name])


def _choose_thread() -> tuple[Any, bool]:
    """The main thread if it is in a system call, else another one that is; else the main one."""
    gdb = _gdb()
    threads = sorted(gdb.selected_inferior().threads(), key=lambda thread: thread.num)
    for thread in threads:
        thread.switch()
        if _signed(_read("orig_rax")) >= 0:
            return thread, True
    threads[0].switch()
    return threads[0], False


def _symbols() -> tuple[int, int, int]:
    """``mmap`` (libc) and CPython's two functions (the executable or libpython).

    Only those libraries' symbols are read; every library's, as gdb would by
    default, when they are not found there (another libc, a renamed libpython).
    """
    gdb = _gdb()
    for pattern in (r"/libc[.-]", r"/libpython3"):
        gdb.execute(f"sharedlibrary {pattern}", to_string=True)
    try:
        return _address("mmap"), _address("Py_AddPendingCall"), _address("PyRun_SimpleString")
    except gdb.error:
        gdb.execute("sharedlibrary", to_string=True)
    return _address("mmap"), _address("Py_AddPendingCall"), _address("PyRun_SimpleString")


def inject(pid: int, code: bytes) -> dict[str, Any]:
    gdb = _gdb()
    # No shared library's symbols unless we ask: a big program maps hundreds of them
    # (NumPy, pydantic-core...), and reading them all doubled the time to attach.
    settings = ("pagination off", "confirm off", "print thread-events off", "auto-solib-add off")
    for setting in settings:
        gdb.execute(f"set {setting}", to_string=True)
    # Our calls return to address 0 on purpose: stop there, and never pass the fault on.
    gdb.execute("handle SIGSEGV stop print nopass", to_string=True)
    try:
        gdb.execute(f"attach {pid}", to_string=True)
    except gdb.error as error:
        return {"status": "attach_failed", "message": str(error)}
    try:
        try:
            mmap, add_pending_call, run_string = _symbols()
        except gdb.error as error:
            return {"status": "no_symbols", "message": str(error)}
        thread, in_system_call = _choose_thread()
        page = call(mmap, 0, _PAGE, _PROT_READ_WRITE, _MAP_PRIVATE_ANONYMOUS, -1, 0)
        if _signed(page) < 0:
            return {"status": "failed", "message": f"mmap in the target failed ({_signed(page)})"}
        gdb.selected_inferior().write_memory(page, code + b"\0")
        queued = _signed(call(add_pending_call, run_string, page) & 0xFFFFFFFF)
        if queued != 0:
            return {"status": "failed", "message": "the interpreter's pending-call queue is full"}
        return {"status": "queued", "thread": thread.num, "inSystemCall": in_system_call}
    except CallInterruptedError as error:
        return {"status": "interrupted", "message": str(error)}
    except gdb.error as error:
        return {"status": "failed", "message": str(error)}
    finally:
        gdb.execute("detach", to_string=True)


def main() -> None:
    # In the environment, not a file: nothing another user could write decides what runs.
    request = json.loads(os.environ["SPLICE_ATTACH_REQUEST"])
    try:
        result = inject(int(request["pid"]), bytes.fromhex(request["code"]))
    except BaseException as error:  # gdb's Ctrl-C arrives as KeyboardInterrupt
        result = {"status": "interrupted", "message": f"{error.__class__.__name__}: {error}"}
    print(MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
