"""A kernel whose argv, cwd and module paths are not UTF-8 stays reachable and patchable.

On POSIX such names reach Python as ``surrogateescape`` strings; the wire
carries them as JSON ``\\udcXX`` escapes, and ``os.fsencode`` on the client
gives back the original bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from kernel_support import kernel_env, running_kernel

CAFE = b"caf\xe9"  # Latin-1 "café": not valid UTF-8

APP = textwrap.dedent(
    """
    import time

    import helper

    print("ready", flush=True)
    while True:
        time.sleep(0.05)
    """
)

HELPER = textwrap.dedent(
    """
    def label():
        return "old"
    """
)

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or sys.getfilesystemencoding() != "utf-8",
    reason="needs a POSIX file system with UTF-8 file names and surrogateescape",
)


@pytest.fixture(scope="module")
def latin1_kernel(tmp_path_factory):
    project = os.path.join(os.fsdecode(tmp_path_factory.mktemp("encoding")), os.fsdecode(CAFE))
    os.mkdir(project)
    with open(os.path.join(project, "app.py"), "w") as stream:
        stream.write(APP)
    with open(os.path.join(project, "helper.py"), "w") as stream:
        stream.write(HELPER)
    argument = os.fsdecode(CAFE + b".csv")
    with running_kernel(project, "app.py", [argument]) as kernel:
        kernel.wait_for_output("ready")
        kernel.project = project
        yield kernel


def test_a_non_utf8_argv_and_cwd_reach_the_client_as_their_bytes(latin1_kernel):
    client = latin1_kernel.client()
    identity = client.kernel
    assert os.fsencode(identity["cwd"]).endswith(b"/" + CAFE)
    assert os.fsencode(identity["argv"][-1]) == CAFE + b".csv"
    assert client.evaluate("__import__('sys').argv[1]") == repr(os.fsdecode(CAFE + b".csv"))


def test_a_module_under_a_non_utf8_path_is_patched(latin1_kernel):
    source = HELPER.replace('"old"', '"new"')
    result = latin1_kernel.patch("helper", source)
    assert result.ok, result.errors
    assert latin1_kernel.evaluate("helper.label()") == "'new'"
    modules = {module["name"]: module for module in latin1_kernel.client().modules()}
    assert os.fsencode(modules["helper"]["file"]).endswith(CAFE + b"/helper.py")
    assert latin1_kernel.stderr() == ""


@pytest.mark.parametrize("arguments", [["kernels"], ["kernels", "--json"]])
def test_splice_kernels_lists_a_kernel_with_a_non_utf8_cwd(latin1_kernel, arguments):
    completed = subprocess.run(
        [sys.executable, "-m", "splice", *arguments],
        env=kernel_env(latin1_kernel.runtime_dir),
        capture_output=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert str(latin1_kernel.info.pid).encode() in completed.stdout
    assert completed.stderr == b""


def test_splice_kernels_shows_a_non_utf8_cwd_on_a_strict_utf8_terminal(latin1_kernel):
    # As under LANG=en_US.UTF-8, where stdout refuses surrogates.
    env = kernel_env(latin1_kernel.runtime_dir, {"PYTHONIOENCODING": "utf-8:strict"})
    completed = subprocess.run(
        [sys.executable, "-m", "splice", "kernels"], env=env, capture_output=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert b"caf\\udce9" in completed.stdout
