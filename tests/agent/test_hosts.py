"""Each way to host the agent, run for real: splice run, splice kernel, listen(), fork."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from kernel_support import (
    kernel_env,
    running_kernel,
    running_program,
    stop_process,
    wait_for_connection_file,
)
from splice.agent import connection

SLEEPER = (
    "import time\n\ndef answer():\n    return 41\n\n"
    "print('ready', flush=True)\nwhile True:\n    time.sleep(0.05)\n"
)


def test_run_script_makes_its_file_patchable(tmp_path):
    (tmp_path / "app.py").write_text(SLEEPER)
    with running_kernel(tmp_path, ready="ready") as kernel:
        result = kernel.patch("__main__", SLEEPER.replace("41", "42"))
        assert result.ok and result.changed == ("answer",)
        assert kernel.evaluate("answer()") == "42"


def test_run_script_sees_argv_file_and_path_like_python(tmp_path):
    (tmp_path / "app.py").write_text(SLEEPER)
    with running_kernel(tmp_path, "app.py", args=["--flag", "x"], ready="ready") as kernel:
        assert kernel.evaluate("__import__('sys').argv") == "['app.py', '--flag', 'x']"
        assert kernel.evaluate("__file__") == repr(str(tmp_path / "app.py"))
        assert kernel.evaluate("__import__('sys').path[0]") == repr(str(tmp_path))
        assert kernel.evaluate("__name__") == "'__main__'"


def test_run_module_runs_it_as_main_with_its_baseline(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(SLEEPER)
    with running_kernel(tmp_path, module="pkg", args=["a"], ready="ready") as kernel:
        assert kernel.evaluate("__spec__.name") == "'pkg.__main__'"
        assert kernel.evaluate("__import__('sys').argv[1:]") == "['a']"
        assert kernel.info.program == "-m pkg"
        baseline = kernel.request("baseline", {"module": "__main__"})
        assert baseline["source"] == SLEEPER
        assert baseline["file"] == str((package / "__main__.py").resolve())
        assert kernel.patch("__main__", SLEEPER.replace("41", "43")).ok
        assert kernel.evaluate("answer()") == "43"


def test_run_exit_status_and_output_are_the_programs(tmp_path):
    (tmp_path / "app.py").write_text("import sys\nprint('out')\nsys.exit(3)\n")
    completed = subprocess.run(
        [sys.executable, "-m", "splice", "run", "app.py"],
        cwd=tmp_path,
        env=kernel_env(str(tmp_path / "rt")),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (completed.returncode, completed.stdout, completed.stderr) == (3, "out\n", "")


def test_run_removes_its_connection_file_at_exit(tmp_path):
    (tmp_path / "app.py").write_text("pass\n")
    runtime = tmp_path / "rt"
    subprocess.run(
        [sys.executable, "-m", "splice", "run", "app.py"],
        cwd=tmp_path,
        env=kernel_env(str(runtime)),
        timeout=30,
        check=True,
    )
    assert list(runtime.glob("kernel-*")) == []


def test_run_removes_its_connection_file_on_sigterm(tmp_path):
    (tmp_path / "app.py").write_text(SLEEPER)
    with running_kernel(tmp_path, ready="ready") as kernel:
        kernel.process.send_signal(signal.SIGTERM)
        assert kernel.process.wait(10) == -signal.SIGTERM
        assert not os.path.exists(kernel.info.path)


def test_run_reports_a_missing_script(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "splice", "run", "missing.py"],
        cwd=tmp_path,
        env=kernel_env(str(tmp_path / "rt")),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 2
    assert completed.stderr == "splice run: no such file: missing.py\n"


def test_run_over_a_unix_socket(tmp_path):
    (tmp_path / "app.py").write_text(SLEEPER)
    with running_kernel(tmp_path, run_options=["--unix-socket"], ready="ready") as kernel:
        assert kernel.info.transport == "unix"
        assert os.stat(kernel.info.address).st_mode & 0o077 == 0
        assert kernel.evaluate("answer()") == "41"


def test_listen_in_a_program_is_idempotent(tmp_path):
    (tmp_path / "prog.py").write_text(
        "import time, splice\nfirst = splice.listen()\nsecond = splice.listen()\n"
        "import threading\nagents = [t.name for t in threading.enumerate() if t.name == 'splice-agent']\n"
        "print('ready', flush=True)\nwhile True:\n    time.sleep(0.05)\n"
    )
    with running_program(tmp_path, "prog.py", ready="ready") as kernel:
        assert kernel.evaluate("first is second") == "True"
        assert kernel.evaluate("agents") == "['splice-agent']"
        assert kernel.evaluate("__import__('threading').current_thread().daemon") == "True"


def test_importing_splice_starts_nothing(tmp_path):
    code = (
        "import threading, sys, splice, splice.agent.agent\n"
        "assert [t.name for t in threading.enumerate()] == ['MainThread'], threading.enumerate()\n"
        "assert not any(type(f).__module__.startswith('splice') for f in sys.meta_path)\n"
        "bad = {'pygls', 'lsprotocol', 'jedi'} & {name.split('.')[0] for name in sys.modules}\n"
        "assert not bad, bad\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, timeout=30, env=kernel_env(str(tmp_path))
    )
    assert os.listdir(tmp_path) == []


def test_forked_children_get_their_own_agent(tmp_path):
    (tmp_path / "helper.py").write_text("def who():\n    return 'parent code'\n")
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """
            import multiprocessing, time, splice
            splice.listen()
            import helper
            children = [multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,)) for _ in range(2)]
            for child in children:
                child.start()
            while True:
                time.sleep(0.05)
            """
        )
    )
    with running_program(tmp_path, "prog.py") as parent:
        deadline = time.monotonic() + 15
        while (
            len(kernels := connection.discover(parent.runtime_dir)) < 3
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        children = [info for info in kernels if info.pid != parent.info.pid]
        try:
            assert len(children) == 2
            from splice.client.blocking import BlockingKernelClient

            for info in children:
                with BlockingKernelClient(info) as client:
                    assert client.evaluate("__import__('os').getpid()") == str(info.pid)
                    assert client.patch("helper", "def who():\n    return 'child code'\n").ok
                    assert client.evaluate("helper.who()", module="__main__") == "'child code'"
            assert parent.evaluate("helper.who()") == "'parent code'"
        finally:
            for info in children:
                os.kill(info.pid, signal.SIGKILL)


def interactive(command, tmp_path, runtime, **env):
    """An interactive interpreter on pipes that imports from ``tmp_path``, its agent in ``runtime``."""
    return subprocess.Popen(
        command,
        cwd=tmp_path,
        env=kernel_env(runtime) | {"PYTHONPATH": str(tmp_path), **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def patch_mod_once_imported(client):
    """Once the prompt has run ``import mod``, patch ``mod.f`` to return 'after'; whether it applied."""
    deadline = time.monotonic() + 10
    while "mod" not in client.evaluate("list(globals())") and time.monotonic() < deadline:
        time.sleep(0.05)
    return client.patch("mod", "def f():\n    return 'after'\n").ok


def test_splice_kernel_repl_prints_how_to_attach_and_can_be_patched(tmp_path):
    (tmp_path / "mod.py").write_text("def f():\n    return 'before'\n")
    runtime = str(tmp_path / "rt")
    process = interactive([sys.executable, "-m", "splice", "kernel"], tmp_path, runtime)
    try:
        info = wait_for_connection_file(process, runtime)
        from splice.client.blocking import BlockingKernelClient

        process.stdin.write("import mod\nvalue = 5\n")
        process.stdin.flush()
        with BlockingKernelClient(info) as client:
            assert patch_mod_once_imported(client)
        stdout, stderr = process.communicate("print(mod.f(), value)\n", timeout=15)
    finally:
        stop_process(process)
    assert "after 5" in stdout
    assert f"splice patch FILE --kernel {info.pid}" in stderr
    assert process.returncode == 0


def test_run_reports_an_uncaught_exception_like_python(tmp_path):
    (tmp_path / "app.py").write_text("def boom():\n    raise ValueError('bad')\n\nboom()\n")
    completed = subprocess.run(
        [sys.executable, "-m", "splice", "run", "app.py"],
        cwd=tmp_path,
        env=kernel_env(str(tmp_path / "rt")),
        capture_output=True,
        text=True,
        timeout=30,
    )
    plain = subprocess.run(
        [sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert completed.returncode == plain.returncode == 1
    assert completed.stderr == plain.stderr.replace('"app.py"', f'"{tmp_path / "app.py"}"')


@pytest.fixture
def ipykernel_session(tmp_path):
    """A real ipykernel started through jupyter_client with ``--ext=splice``."""
    manager_module = pytest.importorskip("jupyter_client.manager")
    (tmp_path / "mod.py").write_text("def f():\n    return 'before'\n")
    runtime = str(tmp_path / "rt")
    env = kernel_env(runtime) | {"PYTHONPATH": str(tmp_path)}
    manager, client = manager_module.start_new_kernel(
        kernel_name="python3", extra_arguments=["--ext=splice"], env=env, cwd=str(tmp_path)
    )
    try:
        reply = client.execute_interactive("import mod, threading, time", timeout=30)
        assert reply["content"]["status"] == "ok"
        (info,) = connection.discover(runtime)
        yield client, info
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.timeout(90)
def test_ipykernel_patches_a_running_cell_from_the_agent_thread(ipykernel_session):
    from splice.client.blocking import BlockingKernelClient

    client, info = ipykernel_session
    started = os.path.join(info.cwd, "cell-started")
    cell = (
        "seen = [mod.f()]\n"
        "open('cell-started', 'w').close()\n"
        "deadline = time.monotonic() + 20\n"
        "while time.monotonic() < deadline and 'after' not in seen:\n"
        "    seen.append(mod.f())\n"
        "    time.sleep(0.01)\n"
    )
    message_id = client.execute(cell)
    deadline = time.monotonic() + 30
    while not os.path.exists(started):  # then the cell runs and holds the kernel's loop
        assert time.monotonic() < deadline, "the cell did not start"
        time.sleep(0.01)
    with BlockingKernelClient(info) as splice_client:
        started = time.monotonic()
        assert splice_client.patch("mod", "def f():\n    return 'after'\n").ok
        waited = time.monotonic() - started
    reply = client.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == message_id
    assert reply["content"]["status"] == "ok"
    outputs = []
    client.execute_interactive("print(seen[0], seen[-1])", timeout=30, output_hook=outputs.append)
    printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert printed == "before after\n"  # the loop saw the patch while it ran
    assert waited < 5


@pytest.mark.timeout(90)
def test_ipykernel_unload_ext_stops_the_agent(ipykernel_session):
    client, info = ipykernel_session
    assert os.path.exists(info.path)
    reply = client.execute_interactive("%unload_ext splice", timeout=30)
    assert reply["content"]["status"] == "ok"
    assert not os.path.exists(info.path)


@pytest.mark.timeout(90)
def test_ipykernel_between_cells_applies_patches_on_the_main_thread(ipykernel_session):
    from splice.client.blocking import BlockingKernelClient

    client, info = ipykernel_session
    with BlockingKernelClient(info) as splice_client:
        assert splice_client.kernel["capabilities"]["applyThread"] == "main"
        assert splice_client.patch("mod", "def f():\n    return 'after'\n").ok
        thread = splice_client.evaluate("threading.current_thread().name")
    outputs = []
    client.execute_interactive("print(mod.f())", timeout=30, output_hook=outputs.append)
    printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert printed == "after\n"
    assert thread == "'MainThread'"


def test_terminal_ipython_with_load_ext_can_be_patched(tmp_path):
    pytest.importorskip("IPython")
    (tmp_path / "mod.py").write_text("def f():\n    return 'before'\n")
    runtime = str(tmp_path / "rt")
    process = interactive(
        [sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner", "--ext=splice"],
        tmp_path,
        runtime,
        IPYTHONDIR=str(tmp_path / "ipy"),
    )
    try:
        info = wait_for_connection_file(process, runtime)
        from splice.client.blocking import BlockingKernelClient

        process.stdin.write("import mod\n")
        process.stdin.flush()
        with BlockingKernelClient(info) as client:
            assert client.kernel["capabilities"]["host"] == "ipython"
            assert patch_mod_once_imported(client)
        stdout, _ = process.communicate("print(mod.f())\nexit()\n", timeout=30)
    finally:
        stop_process(process)
    assert "after" in stdout
    assert "splice listening" in stdout
    # Nothing patches on save by itself: the message says what does.
    assert "when an editor with splice is attached, after %splice watch, or with:" in stdout


def test_fork_then_exec_leaves_no_connection_file(tmp_path):
    (tmp_path / "prog.py").write_text(
        textwrap.dedent(
            """
            import os, subprocess, sys, time, splice
            splice.listen()
            # preexec_fn makes subprocess run the at-fork hooks in the child before exec.
            children = [
                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=lambda: None)
                for _ in range(3)
            ]
            print("ready", flush=True)
            while True:
                time.sleep(0.05)
            """
        )
    )
    with running_program(tmp_path, "prog.py", ready="ready") as parent:
        time.sleep(0.5)  # well past the child's publishing delay: a file would be there by now
        try:
            assert [info.pid for info in connection.discover(parent.runtime_dir)] == [
                parent.info.pid
            ]
        finally:
            parent.evaluate("[child.kill() for child in children]")
