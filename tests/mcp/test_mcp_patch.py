"""patch_file and undo_patch through a real ``splice mcp`` against a real ``splice run`` kernel.

What the program runs afterwards is checked over the kernel's own socket,
not through the MCP server, and against what a fresh start of the edited
file gives.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mcp_support import call, call_error, edit, serving

from kernel_support import RunningKernel


def fresh_start(project: Path, expression: str) -> str:
    """``repr(expression)`` in a fresh import of the edited app.py (its loop not started)."""
    code = (
        "import sys; sys.path.insert(0, '.');"
        "source = open('app.py').read().split('print(\"ready\"')[0];"
        f"namespace = {{}}; exec(compile(source, 'app.py', 'exec'), namespace);"
        f"print(repr(eval({expression!r}, namespace)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


async def test_mcp_patch_file_makes_the_running_program_run_the_new_text(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    assert kernel.evaluate("greeting('ada')") == "'hello ada'"
    edit(project / "app.py", '"hello "', '"hi "')

    async with serving(runtime_dir) as client:
        report = await call(client, "patch_file", file=str(project / "app.py"))

    assert report["ok"] and report["fullyApplied"], report
    assert report["summary"].startswith("patched app.py: greeting changed in ")
    [process] = report["processes"]
    assert process["pid"] == kernel.info.pid
    assert process["modules"] == ["__main__"]
    assert process["changed"] == ["greeting"] and process["findings"] == []
    assert (
        kernel.evaluate("greeting('ada')") == "'hi ada'" == fresh_start(project, "greeting('ada')")
    )


async def test_mcp_patch_file_refused_edit_is_a_result_with_its_finding(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    edit(project / "shapes.py", "class Square(Shape):", "class Square:")
    edit(project / "shapes.py", "return 4", "return 5")

    async with serving(runtime_dir) as client:
        report = await call(client, "patch_file", file=str(project / "shapes.py"))

    assert not report["ok"]
    assert report["summary"].startswith("not patched shapes.py: ")
    [process] = report["processes"]
    codes = {(finding["severity"], finding["code"]) for finding in process["findings"]}
    assert ("error", "class-bases-changed") in codes
    refused = next(f for f in process["findings"] if f["code"] == "class-bases-changed")
    assert refused["qualname"] == "Square" and refused["line"] == 6
    assert refused["text"].startswith("shapes.py:6: error: [class-bases-changed] ")
    # All or nothing: the method edit that came with it was not applied either.
    assert kernel.evaluate("shapes.Square().area()") == "4"


async def test_mcp_patch_file_reports_a_skipped_statement_on_its_line(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    edit(project / "app.py", "cfg = Config()", "cfg = Config()\ncfg.lr = 0.5")

    async with serving(runtime_dir) as client:
        report = await call(client, "patch_file", file=str(project / "app.py"))

    assert report["ok"] and not report["fullyApplied"]
    [finding] = report["processes"][0]["findings"]
    assert (finding["code"], finding["line"], finding["severity"]) == (
        "statement-not-run",
        22,
        "warning",
    )
    assert kernel.evaluate("cfg.lr") == "0.001"


async def test_mcp_patch_file_dry_run_changes_nothing(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    edit(project / "app.py", '"hello "', '"hi "')

    async with serving(runtime_dir) as client:
        report = await call(client, "patch_file", file=str(project / "app.py"), dry_run=True)

    assert report["dryRun"] and report["summary"].startswith("would patch app.py: greeting")
    assert kernel.evaluate("greeting('ada')") == "'hello ada'"


async def test_mcp_undo_patch_brings_back_the_text_before_the_last_patch(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    edit(project / "app.py", '"hello "', '"hi "')
    identity = kernel.evaluate("id(greeting)")

    async with serving(runtime_dir) as client:
        await call(client, "patch_file", file=str(project / "app.py"))
        assert kernel.evaluate("greeting('ada')") == "'hi ada'"
        report = await call(client, "undo_patch", file=str(project / "app.py"))

    assert report["ok"], report
    assert report["summary"].startswith("undo: patched app.py: greeting changed")
    assert "still has the edit" in report["summary"]
    assert kernel.evaluate("greeting('ada')") == "'hello ada'"
    assert kernel.evaluate("id(greeting)") == identity


async def test_mcp_patch_file_no_process_runs_the_file(
    project: Path, runtime_dir: Path, kernel: RunningKernel
) -> None:
    (project / "other.py").write_text("def f():\n    return 1\n")

    async with serving(runtime_dir) as client:
        report = await call(client, "patch_file", file=str(project / "other.py"))

    assert not report["ok"] and report["processes"] == []
    assert report["summary"].startswith("no process runs other.py (1 kernel checked)")


async def test_mcp_patch_file_errors_say_what_to_do(project: Path, runtime_dir: Path) -> None:
    async with serving(runtime_dir) as client:
        unreadable = await call_error(client, "patch_file", file=str(project / "missing.py"))
        no_kernel = await call_error(client, "patch_file", file=str(project / "app.py"))

    assert f"cannot read {project / 'missing.py'}" in unreadable
    assert f"no live splice kernel (looked in {runtime_dir})" in no_kernel
    assert "splice run app.py" in no_kernel
