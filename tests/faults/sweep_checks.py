"""The arrears-sweep cases' population and yardstick: bench/sweep_arrears.py's 100,000 persons × 12
months in 4 regions, generated once into a template database, and a clean run of the same sweep
on an untouched copy of it, whose result every faulted run must equal."""

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.faults.procs import Postgres, manage, note, quiet, wait_for

PERSONS = 100_000
REGIONS = 4


def region_snapshot(pg: Postgres, db: str, region: int) -> dict[str, Any]:
    """What a region's sweep writes: statuses, logged changes, bindings, their events, messages."""
    statuses = dict(
        pg.rows(
            db, "SELECT status, count(*) FROM accounts_person WHERE region_id = %s GROUP BY status", [region]
        )
    )
    changes, bindings_moved, events, messages = pg.rows(
        db,
        """SELECT (SELECT count(*) FROM family_sharing_statuschange c JOIN accounts_person p ON p.id = c.person_id
                    WHERE p.region_id = %(r)s),
                  (SELECT count(*) FROM family_sharing_binding b JOIN accounts_person p ON p.id = b.sharer_id
                    WHERE p.region_id = %(r)s AND b.status <> 'active'),
                  (SELECT count(*) FROM family_sharing_bindingevent e JOIN family_sharing_binding b ON b.id = e.binding_id
                    JOIN accounts_person p ON p.id = b.sharer_id WHERE p.region_id = %(r)s),
                  (SELECT count(*) FROM accounts_message m JOIN accounts_person p ON p.id = m.person_id
                    WHERE p.region_id = %(r)s)""",
        {"r": region},
    )[0]
    return {
        "statuses": statuses,
        "changes": changes,
        "bindings_moved": bindings_moved,
        "events": events,
        "messages": messages,
    }


def fingerprint(pg: Postgres, db: str) -> dict[str, Any]:
    """Everything a sweep decides, keyed so two copies of one database compare row for row."""
    return {
        "statuses": dict(pg.rows(db, "SELECT id, status FROM accounts_person")),
        "changes": Counter(
            pg.rows(
                db,
                "SELECT person_id, from_status, to_status, reason, cause_periods::text, as_of "
                "FROM family_sharing_statuschange",
            )
        ),
        "bindings": dict(
            (row[0], row[1:])
            for row in pg.rows(db, "SELECT id, status, reasons::text FROM family_sharing_binding")
        ),
        "events": Counter(
            pg.rows(
                db,
                "SELECT binding_id, from_status, to_status, reasons::text FROM family_sharing_bindingevent",
            )
        ),
        "messages": Counter(pg.rows(db, "SELECT person_id, subject, body FROM accounts_message")),
        "unnotified": pg.value(
            db, "SELECT count(*) FROM family_sharing_statuschange WHERE notified_at IS NULL"
        ),
    }


def _difference(name: str, clean: Any, got: Any) -> str | None:
    if clean == got:
        return None
    if isinstance(clean, Counter):
        missing, extra = clean - got, got - clean
        return f"{name}: {sum(missing.values())} missing (e.g. {list(missing)[:2]}), {sum(extra.values())} extra (e.g. {list(extra)[:2]})"
    if isinstance(clean, dict):
        keys = [k for k in clean.keys() | got.keys() if clean.get(k) != got.get(k)]
        return f"{name}: {len(keys)} differ (e.g. {[(k, clean.get(k), got.get(k)) for k in keys[:2]]})"
    return f"{name}: clean {clean}, got {got}"


@dataclass
class SweepPopulation:
    template: str
    as_of: str
    regions: list[int]
    lock_card: dict[int, str]  # region -> card of a sharer whose active binding the sweep suspends
    untouched: dict[int, dict[str, Any]]  # region -> region_snapshot before any sweep
    clean: dict[str, Any]  # fingerprint of the clean run
    pg: Postgres

    def totals(self, db: str) -> tuple[int, int]:
        return self.pg.rows(
            db,
            "SELECT count(*), count(*) FILTER (WHERE notified_at IS NULL) FROM family_sharing_statuschange",
        )[0]

    def wait_until_done(self, case: Any) -> None:
        """Until as many changes as the clean run are logged and notified and nothing is queued or
        running, seen twice a second apart (a late duplicate would show in the comparison)."""
        wanted = sum(self.clean["changes"].values())

        def done() -> bool:
            changes, unnotified = self.totals(case.db)
            return (
                changes >= wanted and unnotified == 0 and quiet(case.pg, case.db, case.redis, case.redis_db)
            )

        wait_for(done, timeout=180, what="the rerun's sweep and notifications", interval=0.5)
        time.sleep(1)
        wait_for(done, timeout=60, what="the rerun to stay finished", interval=0.5)


def compare_with_clean_run(case: Any, population: SweepPopulation) -> None:
    got = fingerprint(case.pg, case.db)
    counts = {
        k: (sum(v.values()) if isinstance(v, Counter) else v) for k, v in got.items() if k != "statuses"
    }
    note(
        f"sweep rerun: changes {counts['changes']}, events {counts['events']}, messages {counts['messages']}, "
        f"unnotified {counts['unnotified']}; clean run: changes {sum(population.clean['changes'].values())}, "
        f"events {sum(population.clean['events'].values())}, messages {sum(population.clean['messages'].values())}"
    )
    problems = [p for k in population.clean if (p := _difference(k, population.clean[k], got[k]))]
    assert not problems, "the rerun differs from the clean run: " + "; ".join(problems)
    assert max(Counter(row[0] for row in got["changes"]).values()) == 1, "a person's change is logged twice"


def build_population(pg: Postgres, case_env: Any, template_from: str) -> SweepPopulation:
    """Seeds the template (a copy of `template_from`), snapshots it, and runs the sweep cleanly on a
    copy of it: `manage.py sweep_arrears` (the code the tasks run) and the pending notifications."""
    import json

    from tests.faults.procs import python

    template = "faults_sweep_template"
    pg.create_database(template, template=template_from)
    started = time.monotonic()
    seeded = json.loads(
        python(
            case_env(template),
            "-m", "tests.faults.seed", "sweep", "--persons", str(PERSONS), "--regions", str(REGIONS),
            timeout=600,
        ).splitlines()[-1]
    )  # fmt: skip
    note(f"sweep population: {seeded} in {time.monotonic() - started:.1f} s")
    regions = seeded["regions"]
    lock_card = {region: card for card, region in seeded["region_of_card"].items()}
    untouched = {r: region_snapshot(pg, template, r) for r in regions}
    clean_db = "faults_sweep_clean"
    pg.create_database(clean_db, template=template)
    manage(case_env(clean_db), "sweep_arrears", "--as-of", seeded["as_of"])
    manage(
        case_env(clean_db),
        "shell",
        "-c",
        "from family_sharing.contributions.tasks import notify_pending_status_changes as t; t()",
    )
    clean = fingerprint(pg, clean_db)
    assert clean["unnotified"] == 0 and sum(clean["changes"].values()) > 0, clean["unnotified"]
    return SweepPopulation(template, seeded["as_of"], regions, lock_card, untouched, clean, pg)
