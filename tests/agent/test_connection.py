"""Connection files: where they live, who may read them, and stale ones."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from splice.agent import connection
from splice.agent.connection import ConnectionInfo
from splice.errors import KernelUnavailableError


def make_info(directory, pid=None, token="secret") -> ConnectionInfo:
    pid = os.getpid() if pid is None else pid
    return ConnectionInfo(
        pid=pid,
        transport="tcp",
        address="127.0.0.1:1",
        token=token,
        protocol_version=1,
        python="3.11.7",
        executable=sys.executable,
        cwd=str(directory),
        argv=("app.py",),
        program="app.py",
        started_at=1.0,
        path=connection.connection_path(pid, str(directory)),
    )


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_runtime_dir_prefers_splice_runtime_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SPLICE_RUNTIME_DIR", str(tmp_path / "rt"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert connection.runtime_dir() == str(tmp_path / "rt")


def test_runtime_dir_uses_xdg_runtime_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("SPLICE_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert connection.runtime_dir() == str(tmp_path / "splice")
    assert stat.S_IMODE(os.stat(tmp_path / "splice").st_mode) == 0o700


def test_runtime_dir_falls_back_to_a_private_temp_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("SPLICE_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    path = connection.runtime_dir()
    assert path == str(tmp_path / f"splice-{os.getuid()}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_runtime_dir_refuses_a_symlink(monkeypatch, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "rt").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("SPLICE_RUNTIME_DIR", str(tmp_path / "rt"))
    with pytest.raises(PermissionError):
        connection.runtime_dir()


def test_write_creates_a_file_only_its_user_can_read(tmp_path):
    info = make_info(tmp_path)
    connection.write(info)
    assert stat.S_IMODE(os.stat(info.path).st_mode) == 0o600
    assert connection.read(info.path) == info
    assert os.listdir(tmp_path) == [os.path.basename(info.path)]  # no temporary left behind


def test_discover_deletes_files_of_dead_processes(tmp_path):
    live, stale = make_info(tmp_path), make_info(tmp_path, pid=dead_pid())
    connection.write(live)
    connection.write(stale)
    assert connection.discover(str(tmp_path)) == [live]
    assert not os.path.exists(stale.path)


def test_discover_skips_foreign_json_files_without_deleting_them(tmp_path):
    foreign = tmp_path / "kernel-123.json"
    foreign.write_text('{"hello": "world"}')
    assert connection.discover(str(tmp_path)) == []
    assert foreign.exists()


def test_load_accepts_a_pid(monkeypatch, tmp_path):
    monkeypatch.setenv("SPLICE_RUNTIME_DIR", str(tmp_path))
    info = make_info(tmp_path)
    connection.write(info)
    assert connection.load(os.getpid()) == info
    assert connection.load(str(os.getpid())) == info


def test_load_names_the_missing_kernel(monkeypatch, tmp_path):
    monkeypatch.setenv("SPLICE_RUNTIME_DIR", str(tmp_path))
    with pytest.raises(KernelUnavailableError, match="no kernel found for pid 999999"):
        connection.load(999999)


def test_load_reports_and_removes_a_dead_kernel(tmp_path):
    stale = make_info(tmp_path, pid=dead_pid())
    connection.write(stale)
    with pytest.raises(KernelUnavailableError, match="not running"):
        connection.load(stale.path)
    assert not os.path.exists(stale.path)


def test_remove_leaves_a_file_that_another_agent_rewrote(tmp_path):
    mine = make_info(tmp_path, token="mine")
    connection.write(make_info(tmp_path, token="theirs"))
    connection.remove(mine)
    assert os.path.exists(mine.path)


def test_discover_ignores_and_reports_a_file_others_can_read(tmp_path, caplog):
    info = make_info(tmp_path)
    connection.write(info)
    os.chmod(info.path, 0o644)
    found = connection.scan(str(tmp_path))
    assert found.kernels == ()
    assert [ignored.path for ignored in found.ignored] == [info.path]
    assert "mode 0644" in found.ignored[0].reason
    with caplog.at_level("WARNING", logger="splice.agent.connection"):
        assert connection.discover(str(tmp_path)) == []
    assert f"ignored connection file {info.path}" in caplog.text
    assert os.path.exists(info.path)  # not ours to delete


def test_discover_ignores_a_symlinked_connection_file(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    info = make_info(elsewhere)
    connection.write(info)
    (tmp_path / os.path.basename(info.path)).symlink_to(info.path)
    found = connection.scan(str(tmp_path))
    assert found.kernels == ()
    assert [ignored.reason for ignored in found.ignored] == ["is a symlink"]


def test_load_refuses_a_file_others_can_write(tmp_path):
    info = make_info(tmp_path)
    connection.write(info)
    os.chmod(info.path, 0o666)
    with pytest.raises(KernelUnavailableError, match="refusing connection file .*mode 0666"):
        connection.load(info.path)


def test_runtime_dir_refuses_a_shared_directory_without_changing_its_mode(monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    monkeypatch.setenv("SPLICE_RUNTIME_DIR", str(shared))
    with pytest.raises(connection.UnsafeRuntimeDirectoryError, match="writable by other users"):
        connection.runtime_dir()
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root to give the fallback directory to another user (chown)",
)
def test_runtime_dir_logs_why_it_left_a_taken_fallback(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("SPLICE_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tempfile.tempdir", None)
    taken = tmp_path / f"splice-{os.getuid()}"
    taken.mkdir()
    os.chown(taken, 65534, 65534)
    with caplog.at_level("WARNING", logger="splice.agent.connection"):
        path = connection.runtime_dir()
    assert path == str(tmp_path / "home" / ".cache" / "splice" / "runtime")
    assert f"splice runtime directory {taken} belongs to" in caplog.text
    assert f"using {path} instead" in caplog.text
