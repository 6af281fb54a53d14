"""What bench/load.py prints after a run: locust's per-endpoint statistics (from the result file the
locustfile writes when locust quits) as a markdown table, and the checks of the database afterwards
(every personal account's ledger sums to its balance, every entry's balance_after is the running sum
of its account, and the load counters' settlements and reversals in the database are at least those
answered 201 and at most those sent: one request, one settlement, never two)."""

from dataclasses import dataclass
from typing import Any

from django.db import connection

# Every personal account: the balance against the sum of its ledger.
LEDGER_SQL = """
SELECT count(*), count(*) FILTER (WHERE a.balance_fen <> coalesce(e.total, 0))
  FROM accounts_personalaccount a
  LEFT JOIN (SELECT account_id, sum(amount_fen) AS total FROM accounts_accountentry GROUP BY account_id) e
    ON e.account_id = a.id
"""
# Every entry: balance_after is the running sum of its account up to it (entries are written under
# the account's row lock, so their ids follow the order of the balance changes).
CHAIN_SQL = """
SELECT count(*), count(*) FILTER (WHERE balance_after_fen <> running)
  FROM (SELECT balance_after_fen,
               sum(amount_fen) OVER (PARTITION BY account_id ORDER BY id) AS running
          FROM accounts_accountentry) AS x
"""
# The load institutions' settlements, their amounts, and those reversed.
SETTLEMENTS_SQL = """
SELECT count(*), coalesce(sum(s.amount_fen), 0),
       count(r.id), coalesce(sum(s.amount_fen) FILTER (WHERE r.id IS NOT NULL), 0)
  FROM family_sharing_settlement s
  JOIN accounts_institution i ON i.id = s.institution_id
  LEFT JOIN family_sharing_reversal r ON r.settlement_id = s.id
 WHERE i.code = ANY(%s)
"""


@dataclass(frozen=True)
class Check:
    what: str
    found: str
    ok: bool


def _row(sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def _between(what: str, found: int, answered: int, sent: int) -> Check:
    """What the database holds against what the counters were answered 201 for and what they sent:
    a request the client gave up on (time-out, or locust stopping it) may have been made or not."""
    text = f"{found:,} (answered {answered:,}" + (f", sent {sent:,})" if sent != answered else ")")
    return Check(what, text, answered <= found <= sent)


def database_checks(*, outcome: dict[str, int], institutions: list[str]) -> list[Check]:
    accounts, off = _row(LEDGER_SQL)
    entries, broken = _row(CHAIN_SQL)
    settled, settled_fen, reversed_, reversed_fen = _row(SETTLEMENTS_SQL, [institutions])
    seen = {k: int(v) for k, v in outcome.items()}
    return [
        Check(
            "personal accounts whose ledger sums to the balance",
            f"{accounts - off:,} of {accounts:,}",
            off == 0,
        ),
        Check(
            "ledger entries whose balance after is the running sum",
            f"{entries - broken:,} of {entries:,}",
            broken == 0,
        ),
        _between(
            "settlements in the database",
            settled,
            seen.get("settled", 0),
            max(seen.get("settle_sent", 0), seen.get("settled", 0)),
        ),
        _between(
            "fen settled in the database",
            settled_fen,
            seen.get("settled_fen", 0),
            max(seen.get("settle_sent_fen", 0), seen.get("settled_fen", 0)),
        ),
        _between(
            "reversals in the database",
            reversed_,
            seen.get("reversed", 0),
            max(seen.get("reverse_sent", 0), seen.get("reversed", 0)),
        ),
        _between(
            "fen reversed in the database",
            reversed_fen,
            seen.get("reversed_fen", 0),
            max(seen.get("reverse_sent_fen", 0), seen.get("reversed_fen", 0)),
        ),
        Check(
            "retries answered with another settlement",
            str(seen.get("replayed_other_id", 0)),
            not seen.get("replayed_other_id"),
        ),
    ]


@dataclass(frozen=True)
class Endpoint:
    name: str
    requests: int
    failures: int
    p50: int
    p95: int
    p99: int
    max: float
    rps: float

    @classmethod
    def of(cls, row: dict[str, Any], name: str | None = None) -> "Endpoint":
        return cls(
            name=name or f"{row['method']} {row['name']}".strip(),
            requests=row["requests"],
            failures=row["failures"],
            p50=row["p50"],
            p95=row["p95"],
            p99=row["p99"],
            max=row["max"],
            rps=row["rps"],
        )


def endpoints(result: dict[str, Any]) -> list[Endpoint]:
    """The locustfile's final statistics: one row per request name, then all of them together."""
    rows = [Endpoint.of(row) for row in result.get("endpoints", [])]
    if "total" in result:
        rows.append(Endpoint.of(result["total"], name="Aggregated"))
    return rows


def failures(result: dict[str, Any]) -> list[str]:
    return [f"{e['occurrences']} × {e['method']} {e['name']}: {e['error']}" for e in result.get("errors", [])]


def markdown(rows: list[Endpoint], checks: list[Check], outcome: dict[str, int], failed: list[str]) -> str:
    lines = [
        "| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | max ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = "**Aggregated**" if r.name == "Aggregated" else f"`{r.name}`"
        lines.append(
            f"| {name} | {r.requests:,} | {r.failures:,} | {r.p50:,} | {r.p95:,} | {r.p99:,} | {r.max:,.0f} "
            f"| {r.rps:.1f} |"
        )
    lines += ["", "| check afterwards | found | |", "|---|---|---|"]
    lines += [f"| {c.what} | {c.found} | {'ok' if c.ok else '**FAILED**'} |" for c in checks]
    lines += [
        "",
        "What the simulated users did: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcome.items())),
    ]
    if failed:
        lines += ["", "Failures:", *[f"- {f}" for f in failed]]
    return "\n".join(lines)
