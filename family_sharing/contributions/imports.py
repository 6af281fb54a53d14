"""`import_contributions`: employers' declarations and payments (API.md section 5).

    employer_uscc,employer_name,id_number,period,due_fen,paid_fen,due_date

Keyed by (employer, person, period): a row already stored with other amounts or due date is updated
(this is how a later file reports a payment: the same row with a larger paid_fen); a row equal to
the stored one changes nothing. Employers are upserted by USCC (a later file may rename one).

All in one transaction, all-or-nothing, like import_persons and import_kinship:
1. The file is streamed in batches; each row is checked in Python (USCC with stdnum.cn.uscc, the
   employer name, the identity number with accounts' codes, period YYYY-MM not after this month,
   whole non-negative amounts, paid not above due, due date a date not before the period) and the
   identity number is replaced by its keyed lookup hash; plaintext numbers never reach the database.
2. Rows go through COPY into a TEMP staging table.
3. One statement resolves the persons by id_hash; unresolved rows are `person_not_found`, the same
   (employer, person, period) on a later line is `duplicate_row`.
4. Any problem: ImportRejected with every problem of every row; nothing is stored.
5. Otherwise: the months' partitions are created if missing, one INSERT ... ON CONFLICT upserts the
   employers, one the contributions (updating only rows whose values differ), and arrears cases
   whose periods are now paid in full are closed (services.arrears_cases_settle)."""

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from stdnum.cn import uscc

from accounts.errors import AccountsError
from accounts.imports.person_rows import IdentityMemo
from family_sharing.contributions.errors import ContributionError
from family_sharing.contributions.partitions import contribution_partitions_ensure
from portal.core.csvimport import (
    CellError,
    CsvReader,
    ImportRejected,
    ImportResult,
    RowError,
    Stopwatch,
    parse_date,
)
from portal.core.errors import CONFLICT, ApplicationError
from portal.core.time import today

COLUMNS = ("employer_uscc", "employer_name", "id_number", "period", "due_fen", "paid_fen", "due_date")
BATCH_ROWS = 10_000
# pg_advisory_xact_lock key: one contribution import at a time ("impcon" in ASCII).
_LOCK_KEY = 0x696D70636F6E

STAGING = "import_contributions_staging"
STAGING_COLUMNS = (
    "line",
    "uscc",
    "employer_name",
    "id_hash",
    "period",
    "due_fen",
    "paid_fen",
    "due_date",
    "keyed",
)
_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_AMOUNT = re.compile(r"^-?[0-9]{1,15}$")  # whole fen; 15 digits is far beyond any contribution


@dataclass(slots=True)
class ContributionRow:
    line: int
    uscc: str | None = None
    employer_name: str | None = None
    id_hash: str | None = None
    period: dt.date | None = None
    due_fen: int | None = None
    paid_fen: int | None = None
    due_date: dt.date | None = None
    problems: list[RowError] = field(default_factory=list)

    @property
    def keyed(self) -> bool:
        return self.uscc is not None and self.id_hash is not None and self.period is not None

    def staged(self) -> tuple[object, ...]:
        return (
            self.line,
            self.uscc,
            self.employer_name,
            self.id_hash,
            self.period,
            self.due_fen,
            self.paid_fen,
            self.due_date,
            self.keyed,
        )


def parse_period(text: str) -> dt.date:
    match = _PERIOD.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise CellError(ContributionError.PERIOD_FORMAT)
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


class ContributionRowParser:
    def __init__(self, *, as_of: dt.date) -> None:
        self.identity = IdentityMemo(as_of=as_of)  # a person's number recurs month after month
        self.this_month = as_of.replace(day=1)
        self._usccs: dict[str, bool] = {}
        self._names: dict[str, tuple[str, int]] = {}  # uscc -> (first name seen, its line)

    def _uscc_valid(self, code: str) -> bool:
        valid = self._usccs.get(code)
        if valid is None:
            valid = len(code) == 18 and code.isascii() and uscc.is_valid(code)
            self._usccs[code] = valid
        return valid

    def _amount(self, row: ContributionRow, text: str, column: str) -> int | None:
        if not _AMOUNT.match(text):
            row.problems.append(RowError.of(row.line, ContributionError.AMOUNT_FORMAT, f"（{column}）"))
            return None
        value = int(text)
        if value < 0:
            row.problems.append(RowError.of(row.line, ContributionError.AMOUNT_NEGATIVE, f"（{column}）"))
            return None
        return value

    def parse(self, line: int, cells: list[str]) -> ContributionRow:
        raw_uscc, name, raw_id, raw_period, raw_due, raw_paid, raw_due_date = cells
        row = ContributionRow(line)
        problems = row.problems
        code = raw_uscc.upper()
        if self._uscc_valid(code):
            row.uscc = code
        else:
            problems.append(RowError.of(line, AccountsError.USCC_INVALID))
        if not name or len(name) > 100:
            problems.append(RowError.of(line, ContributionError.EMPLOYER_NAME_INVALID))
        elif row.uscc is not None:
            first = self._names.setdefault(row.uscc, (name, line))
            if first[0] != name:
                problems.append(
                    RowError.of(
                        line, ContributionError.EMPLOYER_NAME_CONFLICT, f"（第 {first[1]} 行为“{first[0]}”）"
                    )
                )
            row.employer_name = name
        problem, row.id_hash = self.identity(raw_id)
        if problem is not None:
            problems.append(RowError.of(line, problem))
        try:
            row.period = parse_period(raw_period)
        except CellError as exc:
            problems.append(RowError.of(line, exc.code))
        if row.period is not None and row.period > self.this_month:
            problems.append(RowError.of(line, ContributionError.PERIOD_IN_FUTURE))
            row.period = None
        row.due_fen = self._amount(row, raw_due, "due_fen")
        row.paid_fen = self._amount(row, raw_paid, "paid_fen")
        if row.due_fen is not None and row.paid_fen is not None and row.paid_fen > row.due_fen:
            problems.append(RowError.of(line, ContributionError.PAID_ABOVE_DUE))
        try:
            row.due_date = parse_date(raw_due_date)
        except CellError as exc:
            problems.append(RowError.of(line, exc.code, "（due_date）"))
        if row.due_date is not None and row.period is not None and row.due_date < row.period:
            problems.append(RowError.of(line, ContributionError.DUE_DATE_BEFORE_PERIOD))
        return row


def contributions_import(*, path: Path, dry_run: bool = False) -> ImportResult:
    """Imports (or, with dry_run, only checks) a contributions file; raises ImportRejected listing
    every problem of every bad row, in which case nothing is stored."""
    from family_sharing.contributions.services import arrears_cases_settle

    watch = Stopwatch()
    reader = CsvReader(path, COLUMNS)
    as_of = today()
    parser = ContributionRowParser(as_of=as_of)
    problems: list[RowError] = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _prepare(cursor)
            for batch in itertools.batched(reader.rows(), BATCH_ROWS):
                rows = [parser.parse(line, cells) for line, cells in batch]
                for row in rows:
                    problems.extend(row.problems)
                _stage(cursor, rows)
            problems.extend(reader.errors)
            problems.extend(_unresolved_and_duplicates(cursor))
            if problems:
                raise ImportRejected(problems)
            cursor.execute(f"SELECT DISTINCT period FROM {STAGING}")  # noqa: S608
            contribution_partitions_ensure(row[0] for row in cursor.fetchall())
            employers = _upsert_employers(cursor)
            inserted, updated = _upsert_contributions(cursor)
            closed = arrears_cases_settle(as_of=as_of)
            cursor.execute(f"DROP TABLE {STAGING}")
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        # Only when another transaction removed a person or employer while the file was read.
        raise ApplicationError.of(CONFLICT, AccountsError.IMPORT_CONFLICT) from exc
    return ImportResult(
        rows_read=reader.rows_read,
        inserted=inserted,
        updated=updated,
        unchanged=reader.rows_read - inserted - updated,
        seconds=watch.seconds,
        dry_run=dry_run,
        extra={"employers written": employers, "cases closed": closed},
    )


def _prepare(cursor: CursorWrapper) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    cursor.execute("SET LOCAL work_mem = '128MB'")
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGING}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {STAGING} (
            line          integer NOT NULL,
            uscc          text,     -- NULL when invalid
            employer_name text,
            id_hash       text,     -- HMAC-SHA256 of the normalised identity number; NULL when invalid
            period        date,
            due_fen       bigint,
            paid_fen      bigint,
            due_date      date,
            keyed         boolean NOT NULL,
            person_id     bigint
        ) ON COMMIT DROP
        """
    )


def _stage(cursor: CursorWrapper, rows: list[ContributionRow]) -> None:
    with cursor.cursor.copy(f"COPY {STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            write(row.staged())


def _unresolved_and_duplicates(cursor: CursorWrapper) -> list[RowError]:
    """Resolves the persons in one UPDATE, then lists persons not imported and repeated keys."""
    cursor.execute(f"ANALYZE {STAGING}")
    cursor.execute(
        f"""
        UPDATE {STAGING} AS s SET person_id = p.id
          FROM accounts_person AS p
         WHERE p.id_hash = s.id_hash
        """  # noqa: S608 (identifiers are this module's constants)
    )
    cursor.execute(
        f"""
        SELECT line, 'missing', NULL::integer FROM {STAGING}
         WHERE id_hash IS NOT NULL AND person_id IS NULL
        UNION ALL
        SELECT line, 'duplicate', first_line FROM (
            SELECT line, first_value(line) OVER w AS first_line, row_number() OVER w AS nth
              FROM {STAGING}
             WHERE keyed AND person_id IS NOT NULL
            WINDOW w AS (PARTITION BY uscc, person_id, period ORDER BY line)
        ) AS t WHERE nth > 1
        """  # noqa: S608 (identifiers are this module's constants)
    )
    errors = []
    for line, what, first_line in cursor.fetchall():
        if what == "duplicate":
            errors.append(RowError.of(line, ContributionError.DUPLICATE_ROW, f"（与第 {first_line} 行相同）"))
        else:
            errors.append(RowError.of(line, ContributionError.PERSON_NOT_FOUND))
    return errors


def _upsert_employers(cursor: CursorWrapper) -> int:
    cursor.execute(
        f"""
        INSERT INTO accounts_employer AS e (uscc, name)
        SELECT DISTINCT ON (uscc) uscc, employer_name FROM {STAGING} ORDER BY uscc, line
        ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name WHERE e.name IS DISTINCT FROM EXCLUDED.name
        """  # noqa: S608 (identifiers are this module's constants)
    )
    return cursor.rowcount


def _upsert_contributions(cursor: CursorWrapper) -> tuple[int, int]:
    """(inserted, updated). RETURNING cannot read xmax from a partitioned table, so the rows already
    stored are counted first (same transaction, under the import's lock)."""
    cursor.execute(
        f"""
        SELECT count(*), count(c.person_id)
          FROM {STAGING} AS s
          JOIN accounts_employer AS e ON e.uscc = s.uscc
          LEFT JOIN family_sharing_contribution AS c
                 ON c.employer_id = e.id AND c.person_id = s.person_id AND c.period = s.period
        """  # noqa: S608 (identifiers are this module's constants)
    )
    total, existing = cursor.fetchone()
    cursor.execute(
        f"""
        INSERT INTO family_sharing_contribution AS c
               (employer_id, person_id, period, due_fen, paid_fen, due_date, updated_at)
        SELECT e.id, s.person_id, s.period, s.due_fen, s.paid_fen, s.due_date, now()
          FROM {STAGING} AS s
          JOIN accounts_employer AS e ON e.uscc = s.uscc
         ORDER BY e.id, s.person_id, s.period
        ON CONFLICT (employer_id, person_id, period)
        DO UPDATE SET due_fen = EXCLUDED.due_fen, paid_fen = EXCLUDED.paid_fen,
                      due_date = EXCLUDED.due_date, updated_at = EXCLUDED.updated_at
                WHERE ROW(c.due_fen, c.paid_fen, c.due_date)
                      IS DISTINCT FROM ROW(EXCLUDED.due_fen, EXCLUDED.paid_fen, EXCLUDED.due_date)
        """  # noqa: S608 (identifiers are this module's constants)
    )
    written = cursor.rowcount
    inserted = int(total) - int(existing)
    return inserted, written - inserted
