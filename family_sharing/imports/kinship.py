"""`import_kinship`: civil-registry edges (DESIGN.md section 4), two million rows at a time.

    kind,a_id_number,b_id_number,parent_kind,valid_from,valid_to

`spouse` edges: a and b in any order (stored with a.pk < b.pk), parent_kind empty, a marriage is
keyed by the couple and its valid_from; a later file that repeats the marriage with a valid_to is
how a divorce (or a death) arrives. valid_from may be empty on a spouse edge too: the household
register lists spouses whose marriage date it does not hold, and the unique index treats an empty
date as one key (NULLS NOT DISTINCT), so such a marriage is still upserted, not duplicated.
`parent` edges: a is the parent, b the child, parent_kind birth|adoptive|step_supported|step,
keyed by (parent, child); a later file may change the kind or the dates. In both kinds the file's
values replace the stored ones, and a row equal to what is stored changes nothing.

How it works, all in one transaction (all-or-nothing, like import_persons):
1. The file is streamed in batches. Each row is checked in Python (kind, both identity numbers with
   the codes of accounts.identity, parent_kind, dates and their order, a person paired with
   themselves) and both numbers are replaced by their keyed lookup hash (portal.core.crypto);
   plaintext numbers never reach the database. Numbers repeat (a person is in several edges), so
   the check and hash of a number are memoised in a bounded cache.
2. Every row goes through COPY into a TEMP staging table of this transaction.
3. One statement resolves both persons of every row by joining accounts_person on id_hash (and
   orders each couple by pk). Rows whose persons do not resolve are `person_not_found`; the same
   edge twice in the file is `duplicate_edge` on the later line (window over the edge's key).
4. Any problem: ImportRejected with every problem of every row; nothing is stored.
5. Otherwise one INSERT ... ON CONFLICT per kind, on the partial unique indexes edge_parent_unique
   (a_id, b_id) WHERE kind = 'parent' and edge_spouse_unique (a_id, b_id, valid_from) NULLS NOT
   DISTINCT WHERE kind = 'spouse', updates only the rows whose values differ.

Edges are never deleted by an import: the registry ends a marriage with a date, it does not
forget it, and a parent edge is a birth, adoption or step fact that stays."""

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper

from accounts.errors import AccountsError
from accounts.imports.person_rows import IdentityMemo
from family_sharing.errors import SharingError
from family_sharing.models import EdgeKind, ParentKind
from portal.core.csvimport import (
    CellError,
    CsvReader,
    ImportRejected,
    ImportResult,
    RowError,
    Stopwatch,
    parse_optional_date,
)
from portal.core.errors import CONFLICT, ApplicationError
from portal.core.time import today

COLUMNS = ("kind", "a_id_number", "b_id_number", "parent_kind", "valid_from", "valid_to")
BATCH_ROWS = 10_000
SOURCE = "import"
# pg_advisory_xact_lock key: one kinship import at a time ("impkin" in ASCII).
_LOCK_KEY = 0x696D706B696E

STAGING = "import_kinship_staging"
RESOLVED = "import_kinship_resolved"
STAGING_COLUMNS = ("line", "kind", "a_hash", "b_hash", "parent_kind", "valid_from", "valid_to", "keyed")
# Every column the import writes; a test checks them against the model.
EDGE_COLUMNS = ("kind", "a_id", "b_id", "parent_kind", "valid_from", "valid_to", "source", "updated_at")

_KINDS = frozenset(EdgeKind.values)
_PARENT_KINDS = frozenset(ParentKind.values)
_SPOUSE, _PARENT = EdgeKind.SPOUSE.value, EdgeKind.PARENT.value


@dataclass(slots=True)
class KinshipRow:
    """One parsed row; a field that failed its check is None and its problem is in `problems`.
    `keyed` says the edge's key is known (kind, both persons, not oneself, valid_from readable),
    so the row takes part in the duplicate check."""

    line: int
    kind: str | None = None
    a_hash: str | None = None
    b_hash: str | None = None
    parent_kind: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    keyed: bool = False
    problems: list[RowError] = field(default_factory=list)

    def staged(self) -> tuple[object, ...]:
        return (
            self.line,
            self.kind,
            self.a_hash,
            self.b_hash,
            self.parent_kind,
            self.valid_from,
            self.valid_to,
            self.keyed,
        )


class KinshipRowParser:
    """Checks the cells of one row; memoises what an identity number costs (check and hash)."""

    def __init__(self, *, as_of: dt.date) -> None:
        # a family-ordered file finds most identity numbers in the memo
        self.identity = IdentityMemo(as_of=as_of)

    def parse(self, line: int, cells: list[str]) -> KinshipRow:
        kind, raw_a, raw_b, parent_kind, raw_from, raw_to = cells
        row = KinshipRow(line)
        problems = row.problems
        if kind in _KINDS:
            row.kind = kind
        else:
            problems.append(RowError.of(line, SharingError.EDGE_KIND_UNKNOWN))
        problem, row.a_hash = self.identity(raw_a)
        if problem is not None:
            problems.append(RowError.of(line, problem, "（a_id_number）"))
        problem, row.b_hash = self.identity(raw_b)
        if problem is not None:
            problems.append(RowError.of(line, problem, "（b_id_number）"))
        same = row.a_hash is not None and row.a_hash == row.b_hash
        if same:
            problems.append(RowError.of(line, SharingError.EDGE_SELF))
        if kind == _PARENT:
            if parent_kind in _PARENT_KINDS:
                row.parent_kind = parent_kind
            else:
                problems.append(RowError.of(line, SharingError.PARENT_KIND_UNKNOWN))
        elif kind == _SPOUSE:
            if parent_kind:
                problems.append(RowError.of(line, SharingError.PARENT_KIND_NOT_FOR_SPOUSE))
            else:
                row.parent_kind = ""
        from_readable = True
        try:
            row.valid_from = parse_optional_date(raw_from)
        except CellError as exc:
            from_readable = False
            problems.append(RowError.of(line, exc.code, "（valid_from）"))
        try:
            row.valid_to = parse_optional_date(raw_to)
        except CellError as exc:
            problems.append(RowError.of(line, exc.code, "（valid_to）"))
        if row.valid_from is not None and row.valid_to is not None and row.valid_to < row.valid_from:
            problems.append(RowError.of(line, SharingError.EDGE_DATES_ORDER))
        row.keyed = (
            row.kind is not None
            and row.a_hash is not None
            and row.b_hash is not None
            and not same
            and from_readable
        )
        return row


def kinship_import(*, path: Path, dry_run: bool = False) -> ImportResult:
    """Imports (or, with dry_run, only checks) a kinship file; raises ImportRejected listing every
    problem of every bad row, in which case nothing is stored."""
    watch = Stopwatch()
    reader = CsvReader(path, COLUMNS)
    parser = KinshipRowParser(as_of=today())
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
            _resolve(cursor)
            problems.extend(_unresolved_and_duplicates(cursor))
            if problems:
                raise ImportRejected(problems)
            spouse = _upsert_spouses(cursor)
            parent = _upsert_parents(cursor)
            cursor.execute(f"DROP TABLE {RESOLVED}")
            cursor.execute(f"DROP TABLE {STAGING}")
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        # Only possible when another transaction deleted a person of the file while it was read
        # (the foreign keys are checked at commit); the file itself was fully checked above.
        raise ApplicationError.of(CONFLICT, AccountsError.IMPORT_CONFLICT) from exc
    inserted, updated = spouse[0] + parent[0], spouse[1] + parent[1]
    return ImportResult(
        rows_read=reader.rows_read,
        inserted=inserted,
        updated=updated,
        unchanged=reader.rows_read - inserted - updated,
        seconds=watch.seconds,
        dry_run=dry_run,
        extra={"spouse edges": spouse[2], "parent edges": parent[2]},
    )


def _prepare(cursor: CursorWrapper) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # Hashing two million staged rows against a million persons in memory, not in temporary files.
    cursor.execute("SET LOCAL work_mem = '128MB'")
    # TEMP tables of this transaction only; the DROPs cover a caller's outer transaction that ran
    # an import already (tests do).
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{RESOLVED}")
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGING}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {STAGING} (
            line        integer NOT NULL,
            kind        text,     -- NULL when unknown
            a_hash      text,     -- HMAC-SHA256 of the normalised identity number; NULL when invalid
            b_hash      text,
            parent_kind text,
            valid_from  date,
            valid_to    date,
            keyed       boolean NOT NULL
        ) ON COMMIT DROP
        """
    )


def _stage(cursor: CursorWrapper, rows: list[KinshipRow]) -> None:
    with cursor.cursor.copy(f"COPY {STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            write(row.staged())


def _resolve(cursor: CursorWrapper) -> None:
    """Both persons of every staged row in one statement (a.pk < b.pk for a couple)."""
    cursor.execute(f"ANALYZE {STAGING}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {RESOLVED} ON COMMIT DROP AS
        SELECT s.line, s.kind, s.keyed, s.parent_kind, s.valid_from, s.valid_to,
               s.a_hash IS NOT NULL AND pa.id IS NULL AS a_missing,
               s.b_hash IS NOT NULL AND pb.id IS NULL AS b_missing,
               CASE WHEN s.kind = '{_SPOUSE}' THEN LEAST(pa.id, pb.id) ELSE pa.id END AS a_id,
               CASE WHEN s.kind = '{_SPOUSE}' THEN GREATEST(pa.id, pb.id) ELSE pb.id END AS b_id
          FROM {STAGING} AS s
          LEFT JOIN accounts_person AS pa ON pa.id_hash = s.a_hash
          LEFT JOIN accounts_person AS pb ON pb.id_hash = s.b_hash
        """  # noqa: S608 (identifiers and kinds are this module's constants)
    )
    cursor.execute(f"ANALYZE {RESOLVED}")


def _unresolved_and_duplicates(cursor: CursorWrapper) -> list[RowError]:
    """Persons not imported (per side), and an edge already on an earlier line of the file: a
    couple whatever their order and with the same valid_from (empty equals empty), a parent and
    child whatever the kind and dates."""
    cursor.execute(
        f"""
        SELECT line, 'a', NULL::integer FROM {RESOLVED} WHERE a_missing
        UNION ALL
        SELECT line, 'b', NULL::integer FROM {RESOLVED} WHERE b_missing
        UNION ALL
        SELECT line, 'duplicate', first_line FROM (
            SELECT line, first_value(line) OVER w AS first_line, row_number() OVER w AS nth
              FROM {RESOLVED}
             WHERE keyed AND a_id IS NOT NULL AND b_id IS NOT NULL
            WINDOW w AS (
                PARTITION BY kind, a_id, b_id, CASE WHEN kind = '{_SPOUSE}' THEN valid_from END
                ORDER BY line
            )
        ) AS t WHERE nth > 1
        """  # noqa: S608 (identifiers and kinds are this module's constants)
    )
    errors = []
    for line, what, first_line in cursor.fetchall():
        if what == "duplicate":
            errors.append(RowError.of(line, SharingError.DUPLICATE_EDGE, f"（与第 {first_line} 行相同）"))
        else:
            errors.append(RowError.of(line, SharingError.PERSON_NOT_FOUND, f"（{what}_id_number）"))
    return errors


def _upsert(
    cursor: CursorWrapper, *, kind: str, conflict: str, compared: tuple[str, ...]
) -> tuple[int, int, int]:
    """INSERT ... ON CONFLICT for one kind: (inserted, updated, rows of that kind in the file)."""
    columns = ", ".join(EDGE_COLUMNS)
    changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*compared, "source", "updated_at"))
    stored = ", ".join(f"e.{c}" for c in compared)
    incoming = ", ".join(f"EXCLUDED.{c}" for c in compared)
    cursor.execute(
        f"""
        WITH written AS (
            INSERT INTO family_sharing_kinshipedge AS e ({columns})
            SELECT kind, a_id, b_id, parent_kind, valid_from, valid_to, %s, now()
              FROM {RESOLVED}
             WHERE kind = %s
             ORDER BY a_id, b_id
            ON CONFLICT {conflict}
            DO UPDATE SET {changed}
                    WHERE ROW({stored}) IS DISTINCT FROM ROW({incoming})
            RETURNING xmax = 0 AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
               (SELECT count(*) FROM {RESOLVED} WHERE kind = %s)
          FROM written
        """,  # noqa: S608 (identifiers and columns are this module's constants)
        [SOURCE, kind, kind],
    )
    inserted, updated, total = cursor.fetchone()
    return int(inserted), int(updated), int(total)


def _upsert_spouses(cursor: CursorWrapper) -> tuple[int, int, int]:
    """A marriage is (a, b, valid_from); what a later file may change is its end."""
    return _upsert(
        cursor,
        kind=_SPOUSE,
        conflict=f"(a_id, b_id, valid_from) WHERE kind = '{_SPOUSE}'",
        compared=("valid_to",),
    )


def _upsert_parents(cursor: CursorWrapper) -> tuple[int, int, int]:
    """A parent edge is (parent, child); a later file may change its kind and dates."""
    return _upsert(
        cursor,
        kind=_PARENT,
        conflict=f"(a_id, b_id) WHERE kind = '{_PARENT}'",
        compared=("parent_kind", "valid_from", "valid_to"),
    )
