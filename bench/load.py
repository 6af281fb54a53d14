"""Load test of the portal with locust (issue 19): residents, counters and bureau officers at once on
the portal's own processes, then the ledger checked.

    .venv/bin/python scripts/stack.py exec .venv/bin/python bench/load.py [--users 200]
        [--spawn-rate 20] [--run-time 5m] [--blocks 1000]
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/load.py --users 30 --run-time 45s

1. A dedicated database beside the one DATABASE_URL names (its name + `_load`, or that name itself
   when it already ends in `_load`), dropped and created again, migrated, with the reference data,
   `seed_demo`, and the population of bench/load_data.py (`--blocks` family blocks of 10 persons:
   2 resident logins a block, counter pairs with active bindings, counter and bureau logins).
2. The stack's processes against it, as `make run` starts them: gunicorn with gunicorn.conf.py on a
   free port (trusting one proxy, TRUSTED_PROXY_COUNT=1, so each simulated login has its own client
   address), a Celery worker and beat (settings bench/load_settings.py: their own queue and cache
   keys, so a `make run` sharing the Redis never takes their tasks). SMS go to a file, metrics to the
   run's own prometheus_client folder.
3. locust headless (bench/locustfile.py) for `--run-time`, then the processes it started are stopped
   (each in its own process group, and only those).
4. The per-endpoint p50/p95/p99 and failures (the final statistics the locustfile writes to
   result.json when locust quits), and the checks of bench/load_report.py, printed as markdown and
   written with locust's CSV and the processes' logs to bench/out/load/<time>/. Exit status 1 when a
   request failed or a check does not hold."""

import argparse
import contextlib
import io
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SETTINGS = "bench.load_settings"


def load_database_url(url: str) -> tuple[str, str]:
    """The load database beside the configured one: (its URL, its name)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "portal"
    name = name if name.endswith("_load") else f"{name}_load"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def recreate_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    assert name.endswith("_load")  # the only databases this script ever drops
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare(*, blocks: int, staff: int, data_file: Path) -> list[str]:
    """Migrates and seeds the load database (in this process); returns the load institutions."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench import load_data

    quiet = io.StringIO()
    call_command("migrate", "--noinput", verbosity=0, stdout=quiet)
    call_command("load_reference_data", verbosity=0, stdout=quiet)
    call_command("seed_demo", verbosity=0, stdout=quiet)
    per_role = {"hospital": staff, "pharmacy": staff, "bureau": staff}
    population = load_data.write_population(blocks=blocks, staff=per_role)
    data_file.write_text(json.dumps(population.as_json(), ensure_ascii=False), encoding="utf-8")
    connections.close_all()
    return [load_data.HOSPITAL, load_data.PHARMACY]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """In a session (and process group) of its own: stopping it stops its children and nothing else."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def wait_ready(port: int, procs: list[subprocess.Popen[bytes]], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            sys.exit("a process of the stack stopped while starting (see its log)")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        time.sleep(0.5)
    sys.exit("the portal did not answer /readyz with 200")


@contextlib.contextmanager
def stack(port: int, env: dict[str, str], out: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            start(
                [str(BIN / "gunicorn"), "portal.wsgi", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                 "--access-logfile", str(out / "access.log")],
                out / "gunicorn.log",
                env,
            )
        )  # fmt: skip
        procs.append(
            start(
                [str(BIN / "celery"), "-A", "portal", "worker", "-l", "info", "-c", "2"],
                out / "worker.log",
                env,
            )
        )
        procs.append(
            start([str(BIN / "celery"), "-A", "portal", "beat", "-l", "info"], out / "beat.log", env)
        )
        wait_ready(port, procs)
        yield procs
    finally:
        stop(procs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--run-time", default="5m", help="locust's format: 45s, 5m, 1h30m")
    parser.add_argument(
        "--blocks", type=int, default=None, help="family blocks of 10 persons (default: max(1000, users))"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL and REDIS_URL, or run it through `scripts/stack.py exec`")
    blocks = args.blocks or max(1000, args.users)
    staff = max(5, math.ceil(args.users / 5))  # logins per staff role: more than locust makes of each

    out = ROOT / "bench" / "out" / "load" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    (out / "metrics").mkdir()
    url, name = load_database_url(os.environ["DATABASE_URL"])
    run_id = out.name
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "LOAD_RUN_ID": run_id,
        "TRUSTED_PROXY_COUNT": "1",
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(out / "sms.jsonl"),
        # prometheus_client's multiprocess folder, empty at the start, as `make run` and the image give
        "PROMETHEUS_MULTIPROC_DIR": str(out / "metrics"),
        "STAFF_PASSWORD": os.environ.get("STAFF_PASSWORD") or "Demo-Staff-2026",
    }
    os.environ.update(env)  # this process prepares and checks the same database with the same settings
    print(f"load database {name}; output in {out.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    recreate_database(url, name)
    data_file = out / "population.json"
    institutions = prepare(blocks=blocks, staff=staff, data_file=data_file)
    print(f"prepared {blocks:,} family blocks in {time.monotonic() - started:.0f} s", flush=True)

    port = free_port()
    result_file = out / "result.json"
    load_before = os.getloadavg()
    with stack(port, env, out):
        locust = start(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", args.run_time,
             "--host", f"http://127.0.0.1:{port}", "--csv", str(out / "locust"), "--stop-timeout", "60",
             "--only-summary"],
            out / "locust.log",
            {**env, "LOAD_DATA_FILE": str(data_file), "LOAD_RESULT_FILE": str(result_file)},
        )  # fmt: skip
        try:
            locust.wait()
        finally:
            stop([locust])
    load_after = os.getloadavg()

    from bench import load_report

    if not result_file.exists():
        sys.exit(f"locust wrote no result (see {out.relative_to(ROOT)}/locust.log)")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    outcome = result["outcome"]
    rows = load_report.endpoints(result)
    checks = load_report.database_checks(outcome=outcome, institutions=institutions)
    failed = load_report.failures(result)
    errors = result["total"]["failures"]
    report = load_report.markdown(rows, checks, outcome, failed)
    header = (
        f"{args.users} users (spawn rate {args.spawn_rate:g}/s) for {args.run_time}, {blocks:,} family blocks; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(f"\n{header}\n\n{report}\n\nerrors: {errors}")
    (out / "report.md").write_text(f"{header}\n\n{report}\n", encoding="utf-8")
    return 1 if errors or not all(c.ok for c in checks) or not result["total"]["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
