"""Benchmark of the family settlement (`settlement_create`, `POST /api/v1/settlements/`) against the
raw PostgreSQL ceiling of the same work, at 1, 4 and 8 concurrent clients.

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/settlement.py \
        [--accounts 1000] [--seconds 5] [--clients 1,4,8] [--rounds 3] [--http-workers N] [--floors] [--keep]

Needs a migrated database with reference data (relation codes). Generates `--accounts` sharers with
a personal account and as many beneficiaries, an active binding between each pair (province 950000,
region 950100, cards S00000000...), a bench hospital and its staff login. Then, for each client
count, in this order:

1. **pgbench** (the ceiling): a custom script doing the same row lock + ledger insert + balance
   update on a random bench account (BEGIN; SELECT ... FOR UPDATE; INSERT entry; UPDATE balance; END);
2. **service**: that many processes calling `settlement_create(...)` (1 fen, a fresh idempotency key,
   a random binding) in a loop;
3. **HTTP**: that many processes posting to a gunicorn started by this script on a free port
   (local settings, the web process's own gunicorn.conf.py: 2 gthread workers × 4 threads, or
   `--http-workers` workers), over keep-alive connections with a Bearer token; each client writes
   its requests as bytes on a socket, a load generator nearly as light as pgbench's.

In each HTTP window the script reads from /proc the CPU time of the client processes, of gunicorn's
master and workers and of every PostgreSQL process, and how busy the whole machine was, and prints
them per settlement (PostgreSQL's CPU per pgbench transaction beside them). `--floors` adds, after
each client count, the same load on a settlement retry (one key and body posted again and again: the
whole request without the writes) and on `GET /healthz` (Django's middleware and a view). gunicorn
runs from the interpreter that runs this script, so another build of Python is measured by running
the script with it.

Each is run for `--seconds`, the three in turn `--rounds` times (the machine's speed drifts from one
run to the next: each ratio is taken within its round, then the median of the rounds). Prints
settlements per second and the ratio to pgbench at the same client count, the database round trips
per settlement (statements counted with connection.execute_wrapper, for the service and for a whole
HTTP request in-process), the machine's load average, one JSON line, and deletes everything it
created unless --keep is given."""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
# This process forks its service clients: a connection pool opened here would be shared by them.
# Each client opens its own connection and keeps it (CONN_MAX_AGE below); gunicorn keeps the pool.
os.environ["DB_POOL"] = "false"

import django  # noqa: E402

django.setup()

from django.conf import settings as _settings  # noqa: E402

_settings.DATABASES["default"]["CONN_MAX_AGE"] = None

from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from portal.core import crypto  # noqa: E402

PROVINCE, REGION, LETTER, INSTITUTION = "950000", "950100", "S", "BENCH950100"
STAFF = "bench_settlement"
URL = "/api/v1/settlements/"


def _exec(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


@contextmanager
def counting_queries() -> Iterator[list[int]]:
    count = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def refuse_collisions() -> None:
    rows = _exec(
        "SELECT count(*) FROM accounts_person p JOIN accounts_poolingregion r ON r.id = p.region_id "
        "WHERE p.card_number LIKE %s AND r.code <> %s",
        [f"{LETTER}%", REGION],
    )
    if rows[0][0]:
        sys.exit(f"persons with {LETTER} cards exist outside the bench region: refusing to run")


def setup(accounts: int) -> dict[str, Any]:
    """Persons, accounts (opening credit entry), active bindings, a hospital and its staff."""
    from accounts.models import Institution, PoolingRegion, Role, User

    placeholder = crypto.encrypt("000000000000000000")
    with transaction.atomic():
        _exec(
            "INSERT INTO accounts_province (code, name) VALUES (%s, '基准测试（结算）') ON CONFLICT DO NOTHING",
            [PROVINCE],
        )
        _exec(
            "INSERT INTO accounts_poolingregion (code, province_id, name, level, sms_sign_in_allowed) "
            "VALUES (%s, %s, '基准测试区（结算）', 'prefecture', true) ON CONFLICT (code) DO NOTHING",
            [REGION, PROVINCE],
        )
        region = PoolingRegion.objects.get(code=REGION)
        _exec(
            """
            INSERT INTO accounts_person (name, id_number, id_hash, card_number, phone, phone_hash, sex,
                   birth_date, region_id, insurance_type, status, is_pensioner, created_at, updated_at)
            SELECT CASE WHEN n < %(n)s THEN '王伟' ELSE '王芳' END, %(id)s,
                   encode(sha256(convert_to('bench-settlement-' || n, 'UTF8')), 'hex'),
                   %(letter)s || lpad(n::text, 8, '0'), '', '', 'male', DATE '1970-01-01', %(region)s,
                   CASE WHEN n < %(n)s THEN 'employee' ELSE 'resident' END, 'normal', false, now(), now()
              FROM generate_series(0, 2 * %(n)s - 1) AS n
            """,
            {"n": accounts, "id": placeholder, "letter": LETTER, "region": region.pk},
        )
        _exec(
            """
            WITH opened AS (
                INSERT INTO accounts_personalaccount (person_id, balance_fen, monthly_credit_fen, created_at, updated_at)
                SELECT id, 1000000000000, 0, now(), now() FROM accounts_person
                 WHERE region_id = %(region)s AND insurance_type = 'employee'
                RETURNING id, balance_fen
            )
            INSERT INTO accounts_accountentry (public_id, account_id, kind, amount_fen, balance_after_fen,
                                              description, created_at)
            SELECT gen_random_uuid(), id, 'credit', balance_fen, balance_fen, '期初余额', now() FROM opened
            """,
            {"region": region.pk},
        )
        _exec(
            """
            INSERT INTO family_sharing_binding (id, sharer_id, beneficiary_id, relation_code_id,
                   derived_relation_code, status, channel, reasons, guardian_consent, created_at, updated_at,
                   activated_at)
            SELECT gen_random_uuid(), s.id, b.id, '51', '51', 'active', 'hospital', '[]', false, now(), now(), now()
              FROM accounts_person s
              JOIN accounts_person b ON b.card_number = %(letter)s || lpad((substr(s.card_number, 2)::int + %(n)s)::text, 8, '0')
             WHERE s.region_id = %(region)s AND s.insurance_type = 'employee'
            """,
            {"n": accounts, "letter": LETTER, "region": region.pk},
        )
        institution, _ = Institution.objects.get_or_create(
            code=INSTITUTION, defaults={"name": "基准测试医院", "region": region, "kind": "hospital"}
        )
        staff = User.objects.filter(username=STAFF).first() or User(username=STAFF)
        staff.role, staff.institution, staff.region = Role.HOSPITAL, institution, region
        staff.set_unusable_password()
        staff.save()
    lo, hi = _exec(
        "SELECT min(a.id), max(a.id) FROM accounts_personalaccount a JOIN accounts_person p ON p.id = a.person_id "
        "WHERE p.region_id = %s",
        [region.pk],
    )[0]
    return {"staff_id": staff.pk, "account_lo": lo, "account_hi": hi}


def cleanup() -> None:
    region = _exec("SELECT id FROM accounts_poolingregion WHERE code = %s", [REGION])
    with transaction.atomic():
        _exec(
            "DELETE FROM knox_authtoken t USING accounts_user u WHERE t.user_id = u.id AND u.username = %s",
            [STAFF],
        )
        if region:
            r = {"r": region[0][0]}
            for sql in (
                "DELETE FROM family_sharing_reversal v USING family_sharing_settlement s, family_sharing_binding b, "
                "accounts_person p WHERE v.settlement_id = s.id AND s.binding_id = b.id AND b.sharer_id = p.id "
                "AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_settlement s USING family_sharing_binding b, accounts_person p "
                "WHERE s.binding_id = b.id AND b.sharer_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_accountentry e USING accounts_personalaccount a, accounts_person p "
                "WHERE e.account_id = a.id AND a.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_message m USING accounts_person p WHERE m.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_personviewlog l USING accounts_person p WHERE l.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_binding b USING accounts_person p WHERE b.sharer_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_historicalpersonalaccount h USING accounts_personalaccount a, accounts_person p "
                "WHERE h.id = a.id AND a.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_personalaccount a USING accounts_person p WHERE a.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_historicaluser WHERE username = 'bench_settlement'",
                "DELETE FROM accounts_user WHERE username = 'bench_settlement'",
                "DELETE FROM accounts_person WHERE region_id = %(r)s",
                "DELETE FROM accounts_institution WHERE region_id = %(r)s",
                "DELETE FROM accounts_poolingregion WHERE id = %(r)s",
            ):
                _exec(sql, r)
        _exec("DELETE FROM accounts_province WHERE code = %s", [PROVINCE])


# --- the three ways of settling ------------------------------------------------------------------


def _card(n: int) -> str:
    return f"{LETTER}{n:08d}"


def _service_client(staff_id: int, accounts: int, start: float, seconds: float, out: Any) -> None:
    from accounts.models import User
    from family_sharing.settlement.services import settlement_create

    connections.close_all()  # never share the parent's connection after fork
    staff = User.objects.get(pk=staff_id)
    rng = random.Random()  # noqa: S311 (load generation)
    while time.time() < start:
        time.sleep(0.001)
    done, deadline = 0, start + seconds
    while time.time() < deadline:
        n = rng.randrange(accounts)
        settlement_create(
            actor=staff,
            sharer_card_number=_card(n),
            beneficiary_card_number=_card(accounts + n),
            category="medical_self_pay",
            amount_fen=1,
            description="",
            idempotency_key=uuid.uuid4().hex,
        )
        done += 1
    connections.close_all()
    out.put(done)


def _http_client(
    port: int, token: str, accounts: int, start: float, seconds: float, out: Any, mode: str = "settle"
) -> None:
    """A load generator as light as pgbench's client: the request written out as bytes on one
    keep-alive socket and the response read by its Content-Length (http.client took a third of a
    millisecond of the same two cores per request).

    mode "settle": a new settlement each time (201). The floors (--floors): "retry" posts one
    settlement and then the same body under the same key again and again (the first result, 200:
    the whole request — token, parsing, validation, the function call — without the writes);
    "healthz" is `GET /healthz` (Django's middleware and a view, no database, no DRF)."""
    rng = random.Random()  # noqa: S311
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\n"
    )
    fixed_n, fixed_key = rng.randrange(accounts), uuid.uuid4().hex
    while time.time() < start:
        time.sleep(0.001)
    done, errors, deadline = 0, 0, start + seconds
    buffer = b""
    while time.time() < deadline:
        if mode == "healthz":
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        else:
            n, key = (fixed_n, fixed_key) if mode == "retry" else (rng.randrange(accounts), uuid.uuid4().hex)
            body = (
                f'{{"sharer_card_number":"{_card(n)}","beneficiary_card_number":"{_card(accounts + n)}",'
                f'"category":"medical_self_pay","amount_fen":1,"description":""}}'
            ).encode()
            request = f"{head}Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
            sock.sendall(request.encode() + body)
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        header, _, buffer = buffer.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", header).group(1))  # type: ignore[union-attr]
        while len(buffer) < length:
            buffer += sock.recv(65536)
        buffer = buffer[length:]
        if header.startswith(b"HTTP/1.1 201" if mode == "settle" else b"HTTP/1.1 20"):
            done += 1
        else:
            errors += 1
        if re.search(rb"(?i)connection: *close", header):
            sock.close()
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.close()
    out.put(done if not errors else -errors)


# --- where the CPU goes (Linux /proc) --------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of one process and of its children that have exited (0 if it has
    gone): a PostgreSQL backend that ends within the window (pgbench's) is counted in the
    postmaster, which waits for it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / TICK


def _pids(match: Callable[[str, int], bool]) -> list[int]:
    """Processes for which match(command name, parent pid) holds."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm, _, rest = (entry / "stat").read_text().partition(" (")[2].rpartition(")")
            except OSError:
                continue
            if match(comm, int(rest.split()[1])):
                found.append(int(entry.name))
    return found


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / TICK, sum(ticks[:8]) / TICK


class CpuMeter:
    """CPU seconds spent in a window by the load's clients (this script's children), the gunicorn
    processes (the server and its workers) and every PostgreSQL process, and how busy the machine
    was: what an HTTP settlement costs each side, and whether the two cores were the limit."""

    def __init__(self, server_pid: int | None = None) -> None:
        self.server_pid = server_pid

    def _parts(self, clients: list[int]) -> dict[str, float]:
        server = (
            [self.server_pid, *_pids(lambda _comm, ppid: ppid == self.server_pid)] if self.server_pid else []
        )
        postgres = _pids(lambda comm, _ppid: comm in ("postgres", "postmaster"))
        busy, total = _machine_busy()
        return {
            "clients": sum(_proc_cpu(p) for p in clients),
            "gunicorn": sum(_proc_cpu(p) for p in server),
            "postgres": sum(_proc_cpu(p) for p in postgres),
            "machine_busy": busy,
            "machine_total": total,
        }

    def start(self, clients: list[int]) -> None:
        self.before = self._parts(clients)

    def stop(self, clients: list[int]) -> None:
        self.after = self._parts(clients)

    def per_request_us(self, settlements: float) -> dict[str, float]:
        delta = {k: self.after[k] - self.before[k] for k in self.after}
        result = {k: round(delta[k] / settlements * 1e6) for k in ("clients", "gunicorn", "postgres")}
        result["machine_busy_share"] = round(delta["machine_busy"] / delta["machine_total"], 3)
        return result


def run_processes(
    target: Callable[..., None], clients: int, seconds: float, *args: Any, meter: CpuMeter | None = None
) -> float:
    """Starts `clients` processes together; settlements per second over the window. A meter reads
    the CPU counters at the window's start and end."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start = time.time() + 1.0
    connections.close_all()
    procs = [ctx.Process(target=target, args=(*args, start, seconds, out)) for _ in range(clients)]
    for p in procs:
        p.start()
    if meter is not None:
        pids = [p.pid for p in procs if p.pid is not None]
        time.sleep(max(0.0, start - time.time()))
        meter.start(pids)
        time.sleep(max(0.0, start + seconds - time.time()))
        meter.stop(pids)
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    if any(r < 0 for r in results):
        sys.exit(f"HTTP errors during the run: {results}")
    return sum(results) / seconds


PGBENCH_SCRIPT = """\\set aid random(:lo, :hi)
BEGIN;
SELECT balance_fen FROM accounts_personalaccount WHERE id = :aid FOR UPDATE;
INSERT INTO accounts_accountentry (public_id, account_id, kind, amount_fen, balance_after_fen, description, created_at)
  SELECT gen_random_uuid(), id, 'family_settlement', -1, balance_fen - 1, 'pgbench', now()
    FROM accounts_personalaccount WHERE id = :aid;
UPDATE accounts_personalaccount SET balance_fen = balance_fen - 1, updated_at = now() WHERE id = :aid;
END;
"""


def pgbench(clients: int, seconds: int, lo: int, hi: int, meter: CpuMeter | None = None) -> float:
    db = settings.DATABASES["default"]
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    if meter is not None:
        meter.start([])
    try:
        result = subprocess.run(  # noqa: S603 (our own arguments)
            [
                "pgbench",
                "-n",
                "-f",
                script.name,
                "-c",
                str(clients),
                "-j",
                str(clients),
                "-T",
                str(seconds),
                "-D",
                f"lo={lo}",
                "-D",
                f"hi={hi}",
                url,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")},
        )
    finally:
        os.unlink(script.name)
    if meter is not None:
        meter.stop([])
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if match is None:
        sys.exit(f"pgbench said:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(workers: int | None) -> Iterator[tuple[int, int]]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),  # the interpreter that runs this script
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.local",
            "DB_POOL": "true",
            **({"WEB_CONCURRENCY": str(workers)} if workers else {}),
        },
    )
    try:
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start")
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(30)


def round_trips(staff_id: int, accounts: int, token: str) -> dict[str, float]:
    """Statements per settlement through the service, and per whole HTTP request (in-process)."""
    from django.test import Client

    from accounts.models import User
    from family_sharing.settlement.services import settlement_create

    staff = User.objects.get(pk=staff_id)
    runs = 50
    with counting_queries() as count:
        for i in range(runs):
            settlement_create(
                actor=staff,
                sharer_card_number=_card(i),
                beneficiary_card_number=_card(accounts + i),
                category="medical_self_pay",
                amount_fen=1,
                description="",
                idempotency_key=uuid.uuid4().hex,
            )
    service = count[0] / runs
    client = Client(HTTP_HOST="127.0.0.1")
    with counting_queries() as count:
        for i in range(runs):
            response = client.post(
                URL,
                {
                    "sharer_card_number": _card(i),
                    "beneficiary_card_number": _card(accounts + i),
                    "category": "medical_self_pay",
                    "amount_fen": 1,
                    "description": "",
                },
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
            assert response.status_code == 201, response.content
    return {"service": service, "http": count[0] / runs}


def floors(
    clients: int, seconds: int, server_pid: int, port: int, token: str, accounts: int
) -> dict[str, Any]:
    """Requests per second and CPU µs per request for the retry and /healthz loads."""
    found = {}
    for mode in ("retry", "healthz"):
        meter = CpuMeter(server_pid)
        rate = run_processes(
            partial(_http_client, mode=mode), clients, seconds, port, token, accounts, meter=meter
        )
        found[mode] = {"per_s": round(rate, 1), **meter.per_request_us(rate * seconds)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--http-workers", type=int, default=None, help="default: gunicorn.conf.py")
    parser.add_argument("--rounds", type=int, default=3, help="median of this many rounds")
    parser.add_argument(
        "--floors",
        action="store_true",
        help="after each client count, the same load on a settlement retry and on GET /healthz, with their CPU",
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    from knox.models import AuthToken

    from accounts.models import User

    refuse_collisions()
    cleanup()
    report: dict[str, Any] = {
        "accounts": args.accounts,
        "seconds": args.seconds,
        "load_before": os.getloadavg(),
    }
    try:
        ids = setup(args.accounts)
        _, token = AuthToken.objects.create(User.objects.get(pk=ids["staff_id"]))
        report["round_trips"] = round_trips(ids["staff_id"], args.accounts, token)
        rows = []
        with gunicorn(args.http_workers) as (port, server_pid):
            for c in clients:
                rounds, costs = [], []
                for _ in range(args.rounds):
                    ceiling_meter = CpuMeter()
                    ceiling = pgbench(c, args.seconds, ids["account_lo"], ids["account_hi"], ceiling_meter)
                    service = run_processes(_service_client, c, args.seconds, ids["staff_id"], args.accounts)
                    meter = CpuMeter(server_pid)
                    over_http = run_processes(
                        _http_client, c, args.seconds, port, token, args.accounts, meter=meter
                    )
                    rounds.append((ceiling, service, over_http))
                    costs.append(
                        {
                            **meter.per_request_us(over_http * args.seconds),
                            "postgres_per_pgbench_tx": ceiling_meter.per_request_us(ceiling * args.seconds)[
                                "postgres"
                            ],
                        }
                    )
                rows.append(
                    {
                        "clients": c,
                        "rounds": [[round(x, 1) for x in r] for r in rounds],
                        "pgbench_tps": round(median(r[0] for r in rounds), 1),
                        "service_per_s": round(median(r[1] for r in rounds), 1),
                        "http_per_s": round(median(r[2] for r in rounds), 1),
                        "service_ratio": round(median(r[1] / r[0] for r in rounds), 3),
                        "http_ratio": round(median(r[2] / r[0] for r in rounds), 3),
                        "http_cpu_us": {k: median(c[k] for c in costs) for k in costs[0]},
                        "load": os.getloadavg()[0],
                    }
                )
                if args.floors:
                    rows[-1]["floors"] = floors(c, args.seconds, server_pid, port, token, args.accounts)
        report["runs"] = rows
        report["load_after"] = os.getloadavg()
        report["cpus"] = os.cpu_count()
    finally:
        connections.close_all()
        if not args.keep:
            cleanup()
    print(json.dumps(report, ensure_ascii=False))
    print(
        f"\nround trips per settlement: service {report['round_trips']['service']:.1f}, "
        f"whole HTTP request {report['round_trips']['http']:.1f}"
    )
    print(
        f"{'clients':>7} {'pgbench tps':>12} {'service/s':>10} {'ratio':>6} {'HTTP/s':>8} {'ratio':>6} {'load':>5}"
    )
    for r in report["runs"]:
        print(
            f"{r['clients']:>7} {r['pgbench_tps']:>12.1f} {r['service_per_s']:>10.1f} {r['service_ratio']:>6.2f} "
            f"{r['http_per_s']:>8.1f} {r['http_ratio']:>6.2f} {r['load']:>5.2f}"
        )
    print(f"load average before {report['load_before']}, after {report['load_after']}, {report['cpus']} CPUs")
    print("\nCPU µs per HTTP settlement (medians of the rounds; pgbench: PostgreSQL's CPU per transaction)")
    print(
        f"{'clients':>7} {'clients':>8} {'gunicorn':>9} {'postgres':>9} {'machine busy':>13} {'pgbench tx':>11}"
    )
    for r in report["runs"]:
        cpu = r["http_cpu_us"]
        print(
            f"{r['clients']:>7} {cpu['clients']:>8.0f} {cpu['gunicorn']:>9.0f} {cpu['postgres']:>9.0f} "
            f"{cpu['machine_busy_share']:>12.0%} {cpu['postgres_per_pgbench_tx']:>11.0f}"
        )
    for r in report["runs"]:
        for mode, cpu in r.get("floors", {}).items():
            print(
                f"{r['clients']:>7} {cpu['clients']:>8.0f} {cpu['gunicorn']:>9.0f} {cpu['postgres']:>9.0f} "
                f"{cpu['machine_busy_share']:>12.0%}  {mode}: {cpu['per_s']:.0f} requests/s"
            )


if __name__ == "__main__":
    main()
