"""`stack.py shell` beside a running `stack.py run` leaves the portal ready (issue 19, "Done when").

Real processes on the repository's own .local/, the embedded servers of `make run`: DATABASE_URL,
REDIS_URL and DJANGO_SETTINGS_MODULE are removed from the children's environment, so they take the
embedded path with the development settings even in CI, where the suite itself runs against the
machine's servers. The run listens on a free port. When a developer's `make run` (or a
`stack.py test` around this suite) already serves the embedded servers, the run and the shell share
them, which is the point, and the test checks at the end that they are still up instead of gone.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "scripts" / "stack.py"
REDIS = ROOT / ".local" / "redis"
SOCK = REDIS / "redis.sock"
PGDATA = ROOT / ".local" / "pg"
READY_WITHIN = 300  # seconds: a fresh clone runs initdb and every migration on a 2-core machine

pytestmark = pytest.mark.stack


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _readyz(port: int) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/readyz")
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def _redis_answers() -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(SOCK))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _redis_server() -> int | None:
    """The redis-server serving the embedded socket, found by its command line (not stack.py's pid file)."""
    for proc in psutil.process_iter(["name", "cmdline"]):
        if (proc.info["name"] or "").startswith("redis-server") and str(SOCK) in " ".join(
            proc.info["cmdline"] or []
        ):
            return proc.pid
    return None


def _running(pid: int | None) -> bool:
    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _embedded_env(port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["PORT"] = str(port)
    return env


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the run's own process group (its session), then wait until the group is empty."""
    with_pgid = proc.pid
    try:
        os.killpg(with_pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(90)
    except subprocess.TimeoutExpired:
        os.killpg(with_pgid, signal.SIGKILL)
        proc.wait(30)
        pytest.fail("stack.py run did not stop within 90 s of SIGTERM")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(with_pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.killpg(with_pgid, signal.SIGKILL)
    pytest.fail("processes of the run's group outlived it by 60 s")


def test_shell_beside_run_leaves_the_portal_ready(tmp_path):
    shared = _redis_answers() and _running(_pid(PGDATA / "postmaster.pid"))
    port = _free_port()
    env = _embedded_env(port)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(
            [sys.executable, str(STACK), "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole below
        )
    try:
        deadline = time.monotonic() + READY_WITHIN
        status = 0
        while status != 200:
            assert run.poll() is None, f"stack.py run exited ({run.returncode}):\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"/readyz not 200 within {READY_WITHIN} s:\n{log.read_text()[-3000:]}"
            )
            try:
                status, _ = _readyz(port)
            except OSError:
                pass
            time.sleep(1)
        redis_pid, pg_pid = _redis_server(), _pid(PGDATA / "postmaster.pid")
        assert _running(redis_pid) and _running(pg_pid)

        shell = subprocess.run(
            [sys.executable, str(STACK), "shell", "check", "--database", "default"],
            cwd=ROOT,
            env=_embedded_env(port),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert shell.returncode == 0, shell.stdout + shell.stderr

        status, body = _readyz(port)
        assert (status, body["checks"]) == (200, {"database": True, "redis": True})
        assert SOCK.is_socket() and _redis_answers()
        assert _redis_server() == redis_pid and _pid(REDIS / "redis.pid") == redis_pid
        assert "already running" in shell.stdout, shell.stdout  # it said it shared the run's servers
    finally:
        _stop_group(run)

    if shared:  # a developer's `make run` holds them: the test's run stopped nothing
        assert _running(redis_pid) and _redis_answers() and _running(pg_pid)
    else:  # the run started them and, the last to use them, stopped them
        assert not _running(redis_pid), "the run's Redis outlived it"
        assert not SOCK.exists()
        assert not _running(pg_pid), "the run's PostgreSQL outlived it"
