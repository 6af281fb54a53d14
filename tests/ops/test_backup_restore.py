"""The backup and restore drill (issue 19): scripts/backup.sh and scripts/restore.sh as an operator runs
them, on databases of their own beside the test's, on the same server.

A source database is made from an empty one through the portal's own flows (migrate, reference data,
demo data, a registration and a settlement over the API: portal_flows.py `build`), backed up, and
restored into a new, empty database, where residents sign in, read their ledger and the counter
settles (portal_flows.py `check`). The dump holds identity and phone numbers only as ciphertext, and
the restored database is useful only under the keys of the source. A restore over a database with
tables, or of a dump that does not match its checksum, is refused and changes nothing.

The scratch databases are named after the test's database and this process (`<name>_drill_<role>_<pid>`,
so parallel runs never share one) and dropped at the end. The PostgreSQL client is the one the
scripts choose (scripts/pg_client.sh: the newest on the machine, at least the server's version).
"""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.conf import settings

from portal.demo import DEMO_PERSONS
from tests.ops import portal_flows

pytestmark = pytest.mark.ops

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "scripts" / "backup.sh"
RESTORE = ROOT / "scripts" / "restore.sh"
LIMIT = 300  # seconds: a guard against a hung child, not a measure
USER_RELATIONS = """
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"""


def _url(name: str) -> str:
    """A libpq URL of database `name` on the test's server, as the scripts take it in DATABASE_URL."""
    db = settings.DATABASES["default"]
    user, password = quote(db.get("USER") or "", safe=""), quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host", "")
    port = str(db.get("PORT") or "")
    if not host or host.startswith("/"):  # a Unix socket directory (the embedded server)
        query = urlencode({k: v for k, v in {"host": host, "port": port}.items() if v})
        return f"postgresql://{auth}/{name}" + (f"?{query}" if query else "")
    return f"postgresql://{auth}{host}{f':{port}' if port else ''}/{name}"


def _scalar(url: str, sql: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


def _run(*args: str | Path, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=ROOT,
        env={**os.environ, **_keys(), "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )


def _keys() -> dict[str, str]:
    """The keys of the test's settings, handed to every child: the source and the restored database
    are read under the same keys, as a restore needs (they are not in the dump)."""
    return {
        "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "ID_HASH_KEY": str(settings.ID_HASH_KEY),
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "STAFF_PASSWORD": "Drill-Staff-2026!",
    }


def _flows(command: str, url: str, out: Path) -> dict[str, Any]:
    done = _run(sys.executable, "-m", "tests.ops.portal_flows", command, out, url=url)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def scratch() -> Iterator[Callable[[str], str]]:
    """Creates an empty database for a role and returns its URL; drops every one at the end."""
    base = str(settings.DATABASES["default"]["NAME"])
    created: list[str] = []

    def create(role: str) -> str:
        suffix = f"_drill_{role}_{os.getpid()}"
        name = base[: 63 - len(suffix)] + suffix
        with psycopg.connect(_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _url(name)

    yield create
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def source(scratch: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A portal database built through its own flows, and its backup by scripts/backup.sh."""
    folder = tmp_path_factory.mktemp("backup")
    url = scratch("source")
    built = _flows("build", url, folder / "build.json")
    dump = folder / "portal.dump"
    started = time.monotonic()
    backed_up = _run(BACKUP, dump, url=url)
    print(
        f"backup: {dump.stat().st_size if dump.exists() else 0} bytes in {time.monotonic() - started:.1f} s"
    )
    return {"url": url, "built": built, "backup": backed_up, "dump": dump}


@pytest.fixture(scope="module")
def empty(scratch: Callable[[str], str]) -> str:
    """An empty database, which the refused restores must leave empty."""
    return scratch("empty")


def _client_bin() -> str:
    """The directory of the PostgreSQL client the scripts choose."""
    return subprocess.run(
        ["bash", "-c", ". scripts/pg_client.sh && pg_client_dir"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_the_source_was_built_through_the_portals_flows(source):
    built = source["built"]
    # a registration over the API: 202, the SMS code 201, the authenticator's first code signs in
    assert (built["register"], built["register_confirm"], built["registered_sign_in"]) == (202, 201, 200)
    # the counter signed in and settled
    assert built["staff_sign_in"] == 200
    assert built["settlement"]["http"] == 201
    # and the backup script succeeded, with the checksum beside the dump
    assert source["backup"].returncode == 0, source["backup"].stderr
    checksum = source["dump"].parent / "portal.dump.sha256"
    digest, name = checksum.read_text().split()
    assert (digest, name) == (hashlib.sha256(source["dump"].read_bytes()).hexdigest(), "portal.dump")
    # both readable by their owner only (the dump is personal data)
    assert {stat.S_IMODE(f.stat().st_mode) for f in (source["dump"], checksum)} == {0o600}


def test_the_dump_holds_identity_and_phone_numbers_only_as_ciphertext(source):
    # when the dump is turned back into SQL
    sql = subprocess.run(
        [f"{_client_bin()}/pg_restore", "--file=-", str(source["dump"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # then what is kept in clear is there (so the search below can find text)
    assert "张建国" in sql and "B10000001" in sql
    # and the persons' numbers are there as Fernet tokens
    numbers_held = len(DEMO_PERSONS) + sum(1 for person in DEMO_PERSONS if person[3])  # identity + phones
    assert sql.count("gAAAAA") >= numbers_held
    # but no identity number and no phone number of any seeded person, in any case
    for name, number, _card, phone, *_ in DEMO_PERSONS:
        assert number not in sql and number.lower() not in sql, name
        assert not phone or phone not in sql, name


def test_a_restored_backup_signs_in_reads_the_ledger_and_settles(source, scratch, tmp_path):
    # given a new, empty database
    url = scratch("restored")
    # when the backup is restored into it
    started = time.monotonic()
    restored = _run(RESTORE, source["dump"], url=url)
    print(f"restore (with the schema check): {time.monotonic() - started:.1f} s")
    # then it is restored and at the head of the migrations
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "schema at the head of the migrations" in restored.stdout

    # when residents and the counter use the restored database
    seen = _flows("check", url, tmp_path / "check.json")

    # then a resident signs in and reads their own record (the numbers decrypt under the same keys)
    assert seen["resident_sign_in"] == 200
    number = portal_flows._person(portal_flows.SIGNED_IN)[0]
    assert seen["me"]["http"] == 200
    assert seen["me"]["id_number_masked"] == number[:6] + "********" + number[-4:]
    # and reads a ledger whose balance is its sum, with the settlement made before the backup
    before = seen["ledger_before"]
    assert before["http"] == 200
    assert before["balance_fen"] == sum(e["amount_fen"] for e in before["entries"])
    settled_before = source["built"]["settlement"]
    assert any(e["kind"] == "family_settlement" and e["amount_fen"] == -4_321 for e in before["entries"])
    # and the counter's retry of that settlement (same key) is the same settlement, not a second debit
    assert seen["staff_sign_in"] == 200
    assert seen["retried_settlement"]["http"] == 200
    assert seen["retried_settlement"]["id"] == settled_before["id"]
    # and a new settlement (a new key) debits once
    assert seen["new_settlement"]["http"] == 201
    assert seen["new_settlement"]["sharer_balance_after_fen"] == before["balance_fen"] - 12_345
    after = seen["ledger_after"]
    assert after["balance_fen"] == before["balance_fen"] - 12_345
    assert after["balance_fen"] == sum(e["amount_fen"] for e in after["entries"])
    assert len(after["entries"]) == len(before["entries"]) + 1
    # and the resident registered before the backup signs in with their password and authenticator
    assert seen["registered_sign_in"] == 200
    # and every account's balance is the sum of its ledger
    assert seen["accounts"] >= 5
    assert seen["accounts_off_their_ledger"] == []
    # but under other keys nobody is found by number and no number can be read
    assert seen["other_keys_find_by_number"] is False
    assert seen["other_keys_read_number"] == "InvalidToken"


def _fingerprint(url: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        return (
            conn.execute(USER_RELATIONS).fetchone(),
            conn.execute("SELECT count(*), sum(amount_fen), max(id) FROM accounts_accountentry").fetchone(),
            conn.execute("SELECT count(*), max(created_at) FROM family_sharing_settlement").fetchone(),
            conn.execute("SELECT count(*) FROM accounts_person").fetchone(),
        )


def test_a_restore_over_a_database_with_tables_is_refused_and_changes_nothing(source):
    # given the source database, which holds the portal's tables and data
    before = _fingerprint(source["url"])
    # when its own backup is restored over it
    refused = _run(RESTORE, source["dump"], url=source["url"])
    # then the restore is refused, and nothing changed
    assert refused.returncode == 1
    assert "not empty" in refused.stderr
    assert _fingerprint(source["url"]) == before


def _flip_a_byte(dump: Path) -> None:
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))


def _drop_the_checksum(dump: Path) -> None:
    dump.with_name(dump.name + ".sha256").unlink()


@pytest.mark.parametrize(
    ("spoil", "said"),
    [(_flip_a_byte, "does not match"), (_drop_the_checksum, "sha256 is missing")],
    ids=["damaged", "no-checksum"],
)
def test_a_dump_that_does_not_match_its_checksum_is_refused_and_restores_nothing(
    source, empty, tmp_path, spoil, said
):
    # given a copy of the backup, damaged (or without its checksum)
    dump = tmp_path / "portal.dump"
    shutil.copy(source["dump"], dump)
    shutil.copy(source["dump"].with_name("portal.dump.sha256"), tmp_path)
    spoil(dump)
    # when it is restored into an empty database
    refused = _run(RESTORE, dump, url=empty)
    # then it is refused before anything is written
    assert refused.returncode == 1
    assert said in refused.stderr
    assert _scalar(empty, USER_RELATIONS) == 0


def test_force_restores_over_a_database_with_tables_and_keeps_what_the_dump_does_not_hold(source, scratch):
    # given a database holding a table of its own
    url = scratch("forced")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE operator_note (note text)")
        conn.execute("INSERT INTO operator_note VALUES ('kept')")
    # when the backup is restored over it with --force
    forced = _run(RESTORE, "--force", "--skip-schema-check", source["dump"], url=url)
    # then the dump's tables and data are there, and the table of its own too
    assert forced.returncode == 0, forced.stderr[-3000:]
    assert _scalar(url, "SELECT count(*) FROM accounts_person") == len(DEMO_PERSONS)
    assert _scalar(url, "SELECT note FROM operator_note") == "kept"


def test_a_backup_of_a_missing_database_fails_and_leaves_no_file(tmp_path):
    out = tmp_path / "nothing.dump"
    failed = _run(BACKUP, out, url=_url("portal_drill_no_such_database"))
    assert failed.returncode != 0
    assert not out.exists() and not out.with_name("nothing.dump.sha256").exists()
    assert list(tmp_path.iterdir()) == []
