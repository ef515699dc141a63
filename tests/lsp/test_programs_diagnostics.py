"""A program's processes on one file's diagnostics: a refusal one process alone had names it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lsprotocol import types

from splice.engine.result import Finding, PatchResult
from splice.lsp.convert import programs, report_diagnostics, report_summary, status
from splice.lsp.diagnostics import DiagnosticStore
from splice.lsp.outcomes import KernelOutcome, PatchReport

TEXT = "class Cart(Other):\n    pass\n\n\ndef f():\n    return 2\n"
URI = "file:///p/app.py"
REFUSAL = Finding(
    "bases-changed", "Cart: its bases changed; restart to apply", "Cart", 1, None, None, "error"
)
NVIM = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "nvim"
NEOVIM_CLIENT = Path(__file__).resolve().parents[2] / "clients" / "neovim"


def applied(pid: int) -> KernelOutcome:
    result = PatchResult(ok=True, module="app", file="/p/app.py", changed=("f",), duration_ms=1.0)
    return KernelOutcome(pid, "-m gunicorn, fork", result, module="app")


def refused(pid: int) -> KernelOutcome:
    result = PatchResult(ok=False, module="app", file="/p/app.py", errors=(REFUSAL,))
    return KernelOutcome(pid, "-m gunicorn, fork", result, module="app")


def published(*outcomes: KernelOutcome) -> list[types.Diagnostic]:
    store = DiagnosticStore()
    store.apply(PatchReport("save", URI, "/p/app.py", TEXT, outcomes))
    return store.diagnostics(URI)


def test_programs_diagnostics_a_refusal_of_one_process_names_that_process() -> None:
    [diagnostic] = published(applied(11), refused(12))

    assert diagnostic.message.startswith("pid 12 (-m gunicorn, fork): Cart: its bases changed")
    assert diagnostic.data["pid"] == 12


def test_programs_diagnostics_the_same_refusal_everywhere_is_published_once() -> None:
    [diagnostic] = published(refused(11), refused(12), refused(13))

    assert diagnostic.message == "Cart: its bases changed; restart to apply"


def test_programs_diagnostics_a_process_without_an_answer_is_reported_on_the_file() -> None:
    silent = KernelOutcome(12, "-m gunicorn, fork", error="did not answer within 2 s (busy?)")

    [diagnostic] = published(applied(11), silent)

    assert diagnostic.code == "process-not-patched"
    assert diagnostic.message == (
        "not patched app.py: pid 12 (-m gunicorn, fork): did not answer within 2 s (busy?)"
    )


def test_programs_diagnostics_a_lone_kernel_without_an_answer_keeps_its_diagnostics() -> None:
    report = PatchReport("save", URI, "/p/app.py", TEXT, (KernelOutcome(12, "app.py", error="x"),))

    assert report_diagnostics(report) == {}


def test_programs_summary_of_a_late_process_says_it_started_before_the_save() -> None:
    report = PatchReport("save", URI, "/p/app.py", TEXT, (applied(12),), catch_up=True)

    assert report_summary(report).startswith(
        "patched app.py in pid 12 (-m gunicorn, fork), which started before the save: f changed"
    )


def test_programs_status_groups_the_attached_kernels_by_program() -> None:
    def kernel(pid: int, root: int, attached: bool = True) -> dict[str, object]:
        return {"pid": pid, "program": "-m gunicorn", "attached": attached, "rootPid": root}

    kernels = [
        kernel(10, 10),
        kernel(12, 10),
        kernel(11, 10),
        kernel(20, 20),
        kernel(30, 30, False),
    ]

    assert programs(kernels) == [
        {"rootPid": 10, "program": "-m gunicorn", "pids": [10, 11, 12], "processes": 3},
        {"rootPid": 20, "program": "-m gunicorn", "pids": [20], "processes": 1},
    ]
    assert status(True, kernels, None, "")["programs"] == programs(kernels)


def test_programs_neovim_statusline_names_one_program_of_several_processes(
    tmp_path: Path,
) -> None:
    script = tmp_path / "status.lua"
    script.write_text(
        f"vim.opt.rtp:prepend({str(NEOVIM_CLIENT)!r})\n"
        "local splice = require('splice')\n"
        "local function k(pid, root) return { pid = pid, rootPid = root, attached = true,"
        " program = 'app.py' } end\n"
        "print(splice.describe_programs({ kernels = { k(1, 1), k(2, 1), k(3, 1) } }, 3))\n"
        "print(splice.describe_programs({ kernels = { k(1, 1), k(2, 2) } }, 2))\n"
        "print(splice.describe_programs({ kernels = { k(1, 1), k(2, 1), k(5, 5) } }, 3))\n"
    )

    output = subprocess.run(
        [str(NVIM), "--headless", "--clean", "-l", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert output.stderr.splitlines() + output.stdout.splitlines() == [
        "splice: app.py (3 processes)",
        "splice: 2 kernels",
        "splice: 2 programs (3 processes)",
    ]
