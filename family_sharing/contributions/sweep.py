"""The arrears sweep (DESIGN.md section 7, API.md section 5 `sweep_arrears`): one set-based SQL
statement per pooling region recomputes the insurance status of every judged person as of a date.

Judged: employee persons of the region with at least one declaration, except `terminated` ones
(who stay terminated). Their status as of the date:
1. `normal` for pensioners: `Person.is_pensioner` marks a retiree whose contribution years are
   enough (the bureau marks only those; a retiree short of years stays a contributor until paid
   up), and such a retiree contributes nothing (decision record 0008);
2. `arrears` when any declared period has its due date before the as-of date and is not paid in
   full (whatever gaps there are besides: arrears wins);
3. `interrupted` when none of the three calendar months before the as-of date's month is declared;
4. `normal` otherwise.

The statement writes only the persons whose status changes and, in the same statement, one
StatusChange row each with the cause (the unpaid periods, or the three undeclared ones). Then the
bindings of the region follow (family_sharing.status_hooks): active bindings of sharers no longer
normal are suspended, bindings suspended for that cause resume when the sharer is normal again,
and live bindings of terminated persons end. After commit, the changed persons are notified (in-app
and SMS) by a task. A second sweep with nothing new changes nothing and notifies nobody.

Regions are independent: the nightly task fans out one task per region (several workers), each
region's pass holds an advisory lock so the same region is never swept twice at once."""

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from accounts.models import InsuranceType, Person, PoolingRegion
from family_sharing.contributions.partitions import month_start
from family_sharing.status_hooks import (
    bindings_end_for_persons,
    bindings_resume_for_sharers,
    bindings_suspend_for_sharers,
)
from portal.core.time import add_months, today

# pg_advisory_xact_lock(class, region id): one pass per region at a time ("swp" in ASCII).
_LOCK_CLASS = 0x737770
NOTIFY_CHUNK = 1000


@dataclass
class SweepResult:
    as_of: dt.date
    regions: int = 0
    checked: int = 0
    changed_to: dict[str, int] = field(default_factory=lambda: {"normal": 0, "arrears": 0, "interrupted": 0})
    suspended: int = 0
    resumed: int = 0
    ended: int = 0
    cases_closed: int = 0
    seconds: float = 0.0
    statement_seconds: float = 0.0  # the status statement alone (the benchmark reports it)
    bindings_seconds: float = 0.0
    change_ids: list[int] = field(default_factory=list, repr=False)

    def add(self, other: "SweepResult") -> None:
        self.regions += other.regions
        self.checked += other.checked
        for status, count in other.changed_to.items():
            self.changed_to[status] = self.changed_to.get(status, 0) + count
        self.suspended += other.suspended
        self.resumed += other.resumed
        self.ended += other.ended
        self.cases_closed += other.cases_closed
        self.statement_seconds += other.statement_seconds
        self.bindings_seconds += other.bindings_seconds

    def summary(self) -> str:
        c = self.changed_to
        return (
            f"arrears sweep as of {self.as_of:%Y-%m-%d}: checked {self.checked} persons in {self.regions} regions; "
            f"changed to normal {c['normal']}, to arrears {c['arrears']}, to interrupted {c['interrupted']}; "
            f"bindings suspended {self.suspended}, resumed {self.resumed}, ended {self.ended}; "
            f"cases closed {self.cases_closed}; {self.seconds:.2f}s"
        )


def sweep_window(as_of: dt.date) -> tuple[dt.date, dt.date, list[str]]:
    """(first of the three months, first of the as-of month, the three months as YYYY-MM)."""
    this_month = month_start(as_of)
    first = add_months(this_month, -3)
    return first, this_month, [f"{add_months(first, i):%Y-%m}" for i in range(3)]


# The reviewed statement. Parameters: region, as_of, window_start, month_start, window (text[]);
# {scope} is one of the two constant joins below. With REGION_SCOPED each derived table is joined to
# the region's employee persons, so for a small region the planner probes the (person_id, period)
# indexes of its persons instead of aggregating every region's rows. A region holding most of the
# table is read in full anyway (sequential scans of the window partitions): there the join only adds
# a hash of the region's persons probed by every row, so TABLE_WIDE aggregates the rows directly and
# the outer query keeps the region's persons (measured at 1,000,000: 0.3-0.5x raw less; decision
# record 0008). "Ever declared" is asked last and only of persons neither unpaid nor recently
# declared (a few percent): OFFSET 0 keeps PostgreSQL from turning that EXISTS into a hashed
# subplan, which would read every partition of the table to answer it for everybody (measured:
# 2.1 s instead of 1.1 s at 200,000).
SWEEP_SQL = """
WITH unpaid AS (
    SELECT c.person_id, array_agg(to_char(c.period, 'YYYY-MM') ORDER BY c.period) AS periods
      FROM family_sharing_contribution AS c {scope}
     WHERE c.paid_fen < c.due_fen AND c.due_date < %(as_of)s
     GROUP BY c.person_id
), recent AS (
    SELECT DISTINCT c.person_id
      FROM family_sharing_contribution AS c {scope}
     WHERE c.period >= %(window_start)s AND c.period < %(month_start)s
), judged AS (
    SELECT p.id, p.status AS from_status,
           CASE WHEN p.is_pensioner THEN 'normal'
                WHEN u.person_id IS NOT NULL THEN 'arrears'
                WHEN r.person_id IS NULL THEN 'interrupted'
                ELSE 'normal' END AS to_status,
           CASE WHEN p.is_pensioner THEN 'pensioner'
                WHEN u.person_id IS NOT NULL THEN 'unpaid_periods'
                WHEN r.person_id IS NULL THEN 'periods_undeclared'
                ELSE 'contributions_in_order' END AS reason,
           CASE WHEN p.is_pensioner THEN '{{}}'::text[]
                WHEN u.person_id IS NOT NULL THEN u.periods
                WHEN r.person_id IS NULL THEN %(window)s::text[]
                ELSE '{{}}'::text[] END AS periods
      FROM accounts_person AS p
      LEFT JOIN unpaid AS u ON u.person_id = p.id
      LEFT JOIN recent AS r ON r.person_id = p.id
     WHERE p.region_id = %(region)s AND p.insurance_type = 'employee' AND p.status <> 'terminated'
       AND (u.person_id IS NOT NULL OR r.person_id IS NOT NULL
            OR EXISTS (SELECT 1 FROM family_sharing_contribution AS c WHERE c.person_id = p.id OFFSET 0))
), changed AS (
    UPDATE accounts_person AS p
       SET status = j.to_status, updated_at = now()
      FROM (SELECT * FROM judged WHERE from_status <> to_status) AS j  -- only the changes reach the join
     WHERE p.id = j.id AND p.status <> j.to_status
    RETURNING p.id, j.from_status, j.to_status, j.reason, j.periods
), logged AS (
    INSERT INTO family_sharing_statuschange
           (person_id, from_status, to_status, reason, cause_periods, as_of, created_at)
    SELECT id, from_status, to_status, reason, to_jsonb(periods), %(as_of)s, now() FROM changed
    RETURNING id, person_id, to_status
)
SELECT NULL::bigint, NULL::bigint, NULL::text, (SELECT count(*) FROM judged)
UNION ALL
SELECT id, person_id, to_status, NULL FROM logged
"""
REGION_SCOPED = """
      JOIN accounts_person AS p ON p.id = c.person_id
       AND p.region_id = %(region)s AND p.insurance_type = 'employee' AND p.status <> 'terminated'"""
TABLE_WIDE = ""

# The region's share of the persons as ANALYZE last saw it (its frequency among the most common
# region ids; 0 when it is not among them, or before the table was ever analyzed).
_REGION_SHARE_SQL = """
SELECT m.freq FROM pg_stats AS s,
       unnest(s.most_common_vals::text::bigint[], s.most_common_freqs) AS m(region_id, freq)
 WHERE s.schemaname = current_schema() AND s.tablename = 'accounts_person' AND s.attname = 'region_id'
   AND m.region_id = %s
"""
TABLE_WIDE_SHARE = 0.5


def region_holds_most_persons(region_id: int) -> bool:
    """Whether the region holds at least half of all persons (planner statistics): its sweep then
    reads the window partitions in full whichever way it is written, and TABLE_WIDE is cheaper."""
    with connection.cursor() as cursor:
        cursor.execute(_REGION_SHARE_SQL, [region_id])
        row = cursor.fetchone()
    return row is not None and row[0] >= TABLE_WIDE_SHARE


_SUSPEND_SQL = """
SELECT DISTINCT b.sharer_id FROM family_sharing_binding AS b
  JOIN accounts_person AS p ON p.id = b.sharer_id
 WHERE b.status = 'active' AND p.status IN ('arrears', 'interrupted') AND p.region_id = %s
"""
_RESUME_SQL = """
SELECT DISTINCT b.sharer_id FROM family_sharing_binding AS b
  JOIN accounts_person AS p ON p.id = b.sharer_id
 WHERE b.status = 'suspended' AND b.reasons @> '["sharer_status_changed"]'::jsonb
   AND p.status = 'normal' AND p.region_id = %s
"""
_TERMINATED_SQL = """
SELECT p.id FROM accounts_person AS p
 WHERE p.region_id = %s AND p.status = 'terminated'
   AND EXISTS (SELECT 1 FROM family_sharing_binding AS b
                WHERE (b.sharer_id = p.id OR b.beneficiary_id = p.id)
                  AND b.status IN ('pending_consent', 'pending_verification', 'needs_evidence',
                                   'active', 'suspended'))
"""


def _ids(sql: str, region_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [region_id])
        return [row[0] for row in cursor.fetchall()]


def arrears_sweep_region(*, region_id: int, as_of: dt.date) -> SweepResult:
    """Sweeps one pooling region in one transaction; notifications are queued after commit."""
    from family_sharing.contributions.services import status_changes_notify_later

    began = time.perf_counter()
    result = SweepResult(as_of=as_of, regions=1)
    window_start, this_month, window = sweep_window(as_of)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, region_id])
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # JIT compiles ~160 functions for this statement (1.3 s at 1,000,000) and wins nothing back:
        # the time goes to hashing and writing, not to evaluating expressions.
        cursor.execute("SET LOCAL jit = off")
        scope = TABLE_WIDE if region_holds_most_persons(region_id) else REGION_SCOPED
        started = time.perf_counter()
        cursor.execute(
            SWEEP_SQL.format(scope=scope),
            {
                "region": region_id,
                "as_of": as_of,
                "window_start": window_start,
                "month_start": this_month,
                "window": window,
            },
        )
        for change_id, _person_id, to_status, checked in cursor.fetchall():
            if change_id is None:
                result.checked = int(checked)
            else:
                result.changed_to[to_status] = result.changed_to.get(to_status, 0) + 1
                result.change_ids.append(change_id)
        result.statement_seconds = time.perf_counter() - started
        started = time.perf_counter()
        # Bindings follow the statuses now stored (also those set by an import since the last pass).
        result.suspended = bindings_suspend_for_sharers(sharer_ids=_ids(_SUSPEND_SQL, region_id))
        result.resumed = bindings_resume_for_sharers(sharer_ids=_ids(_RESUME_SQL, region_id))
        result.ended = bindings_end_for_persons(person_ids=_ids(_TERMINATED_SQL, region_id))
        result.bindings_seconds = time.perf_counter() - started
        status_changes_notify_later(change_ids=result.change_ids)
    result.seconds = time.perf_counter() - began
    return result


def sweep_region_ids() -> list[int]:
    """Regions with at least one employee person: the chunks of the nightly sweep."""
    employees = Person.objects.filter(region=OuterRef("pk"), insurance_type=InsuranceType.EMPLOYEE)
    return list(PoolingRegion.objects.filter(Exists(employees)).order_by("pk").values_list("pk", flat=True))


def arrears_sweep(*, as_of: dt.date | None = None, region_ids: list[int] | None = None) -> SweepResult:
    """The whole sweep in this process, region by region (`manage.py sweep_arrears`), then the
    arrears cases whose periods are now paid are closed."""
    from family_sharing.contributions.services import arrears_cases_settle

    started = time.perf_counter()
    as_of = as_of or today()
    total = SweepResult(as_of=as_of)
    for region_id in sweep_region_ids() if region_ids is None else region_ids:
        total.add(arrears_sweep_region(region_id=region_id, as_of=as_of))
    with transaction.atomic():
        total.cases_closed = arrears_cases_settle(as_of=as_of)
    total.seconds = time.perf_counter() - started
    return total
