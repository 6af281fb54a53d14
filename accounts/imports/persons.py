"""`import_persons`: upsert insured persons by identity number, a million rows at a time.

All in one transaction (all-or-nothing), in two threads that work side by side:
1. This thread streams the file in batches of BATCH_ROWS. Each row is validated in Python
   (person_rows), its identity number and phone are hashed for lookup and encrypted, and the
   batch is written out as COPY text.
2. The database thread takes batch k while this thread prepares batch k+1, on this thread's
   connection and transaction (one batch at a time, so never two users of the connection at once):
   the batch is COPYed into a TEMP table (persons_sql; invalid cells are NULL there; plaintext
   numbers never reach the database, only ciphertext and keyed hashes), one statement marks the
   rows whose person is stored and names the rows whose card another person holds (refused).
   While the file has shown no problem, the batch's new persons are inserted at once, each
   employee with a personal account (its opening balance is the file's balance, explained by one
   `credit` entry 期初余额), and the batch is appended to the staging table.
3. Checks that need the whole file run as SQL on the staging table: the same identity number or
   card number on two lines.
4. If any row had a problem: ImportRejected with every problem of every row; the transaction
   rolls back, so nothing is stored (not even the batches inserted before the problem showed).
5. Otherwise set-based SQL updates the stored persons whose data changed and opens an account for
   stored employees who have none. Every write has its django-simple-history row (reason
   `import_persons`, user `actor`), so the admin shows the import like any edit.

An existing personal account's balance is never changed by a re-import: after opening, the ledger
is the truth. Re-running the same file changes nothing and writes no history (a stored person's
identity-number ciphertext is never rewritten, a phone's only when its hash changed). A card
number already held by another person, stored before the import or on an earlier batch of the
file, is refused, so a card cannot move from one person to another within one file."""

import contextlib
import itertools
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper

from accounts.errors import AccountsError
from accounts.imports import persons_sql as sql
from accounts.imports.bulk_crypto import BulkEncryptor
from accounts.imports.person_rows import COLUMNS, PersonRow, PersonRowParser
from accounts.models import PoolingRegion, User
from portal.core.csvimport import CsvReader, ImportRejected, ImportResult, RowError, Stopwatch
from portal.core.errors import CONFLICT, ApplicationError
from portal.core.time import today

BATCH_ROWS = 10_000


@dataclass
class _Staged:
    """What staging learnt about the file so far."""

    problems: list[RowError] = field(default_factory=list)
    stored_persons: int = 0
    card_reported: set[int] = field(default_factory=set)  # lines whose card is already reported
    writing: bool = True  # no problem so far: new persons are inserted batch by batch
    inserted: int = 0
    opened: int = 0


def persons_import(*, path: Path, dry_run: bool = False, actor: User | None = None) -> ImportResult:
    """Imports (or, with dry_run, only validates) a persons file; raises ImportRejected listing
    every problem of every bad row, in which case nothing is stored."""
    watch = Stopwatch()
    reader = CsvReader(path, COLUMNS)
    parser = PersonRowParser(region_ids=dict(PoolingRegion.objects.values_list("code", "id")), as_of=today())
    encryptor = BulkEncryptor()
    staged = _Staged()
    actor_id = actor.pk if actor is not None else None
    try:
        with transaction.atomic(), connection.cursor() as cursor, _database_thread() as database:
            sql.prepare(cursor)
            pending: Future[None] | None = None
            for rows in itertools.batched(reader.rows(), BATCH_ROWS):
                # This thread parses, hashes, encrypts and writes out batch k+1 while the database
                # thread stages and inserts batch k: Python and PostgreSQL work side by side.
                parsed = [parser.parse(line, cells) for line, cells in rows]
                batch = _prepare(parsed, encryptor, earlier_problems=bool(reader.errors))
                if pending is not None:
                    pending.result()
                pending = database.submit(_stage, cursor, batch, staged, actor_id)
            if pending is not None:
                pending.result()
            sql.analyze(cursor, stored_rows=staged.stored_persons > 0)
            staged.problems.extend(reader.errors)
            staged.problems.extend(sql.duplicates(cursor, reported_cards=staged.card_reported))
            if staged.problems:
                raise ImportRejected(staged.problems)
            updated = sql.update_changed(cursor, actor_id=actor_id) if staged.stored_persons else 0
            if staged.stored_persons:
                sql.queue_stored_employees_without_account(cursor)
                staged.opened += sql.open_accounts(cursor, actor_id=actor_id)
            sql.drop(cursor)
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        # Only when another transaction wrote persons while this file was read (a person or card
        # stored meanwhile, a phone changed); the file itself was fully checked above.
        raise ApplicationError.of(CONFLICT, AccountsError.IMPORT_CONFLICT) from exc
    return ImportResult(
        rows_read=reader.rows_read,
        inserted=staged.inserted,
        updated=updated,
        unchanged=reader.rows_read - staged.inserted - updated,
        seconds=watch.seconds,
        dry_run=dry_run,
        extra={"accounts opened": staged.opened},
    )


@contextlib.contextmanager
def _database_thread() -> Iterator[ThreadPoolExecutor]:
    """One thread that runs the import's statements on this thread's connection (inside its
    transaction), one batch at a time; the caller waits for each batch before submitting the
    next, so the connection is never used by two threads at once."""
    connection.inc_thread_sharing()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import_persons") as database:
            yield database
    finally:
        connection.dec_thread_sharing()


@dataclass
class _Ciphers:
    """The ciphertexts of one batch: the identity number of every valid row and every phone. They
    are made in the parsing thread, before anyone knows which persons are stored, so a re-import
    encrypts numbers it will not write; what is stored is unchanged (a stored person's identity
    ciphertext is never rewritten, a phone's only when its hash changed)."""

    id_numbers: dict[int, str]
    phones: dict[int, str]

    @classmethod
    def of(cls, rows: list[PersonRow], encryptor: BulkEncryptor) -> "_Ciphers":
        if any(row.problems for row in rows):
            return cls({}, {})  # the file will be rejected: nothing is written, nothing to encrypt
        numbers = [(i, row.number) for i, row in enumerate(rows) if row.number]
        phones = [(i, row.phone) for i, row in enumerate(rows) if row.phone]
        tokens = encryptor.encrypt_all([plain for _, plain in numbers + phones])
        return cls(
            id_numbers={i: token for (i, _), token in zip(numbers, tokens, strict=False)},
            phones={i: token for (i, _), token in zip(phones, tokens[len(numbers) :], strict=True)},
        )


@dataclass
class _Batch:
    """One batch as the database thread needs it, all of it made in the parsing thread."""

    copy_text: str
    problems: list[RowError]
    rejected: bool  # a problem in this batch or before it: the file will be rejected


def _prepare(rows: list[PersonRow], encryptor: BulkEncryptor, *, earlier_problems: bool) -> _Batch:
    """Checks, hashes, encrypts and writes out one parsed batch as COPY text."""
    ciphers = _Ciphers.of(rows, encryptor)
    problems = [RowError.of(row.line, code) for row in rows for code in row.problems]
    # COPY text format written by hand, for speed: every value comes from a validated alphabet
    # (digits, hex, base64url, the fixed enum words, names of 汉字/letters/·/space), so none holds
    # a tab, newline or backslash and nothing needs escaping; \N is NULL. person_id is filled in
    # by the database (resolve_batch); a phone is '' when there is none, not NULL.
    lines = []
    for i, row in enumerate(rows):
        phone = ciphers.phones.get(i, "" if row.phone == "" else None)
        lines.append(
            f"{row.line}\t\\N\t{_text(row.id_hash)}\t{_text(ciphers.id_numbers.get(i))}\t"
            f"{_text(row.name)}\t{_text(row.card_number)}\t{_text(phone)}\t{_text(row.phone_hash)}\t"
            f"{_text(row.sex)}\t{_text(row.birth_date)}\t{_text(row.region_id)}\t{_text(row.insurance_type)}\t"
            f"{_text(row.status)}\t{_BOOLEAN[row.is_pensioner]}\t{_text(row.last_certified_on)}\t"
            f"{_text(row.balance_fen)}\n"
        )
    return _Batch(
        copy_text="".join(lines),
        problems=problems,
        rejected=earlier_problems or bool(problems) or _repeats_within(rows),
    )


def _stage(cursor: CursorWrapper, batch: _Batch, staged: _Staged, actor_id: int | None) -> None:
    """COPYs one batch into the batch table, finds its stored persons and the cards held by
    someone else (one statement), and, while the file has no problem so far, inserts its new
    persons (with their accounts). A batch with a problem, and every batch after it, is staged
    only for the checks that need the whole file."""
    with cursor.cursor.copy(f"COPY {sql.BATCH} ({', '.join(sql.STAGING_COLUMNS)}) FROM STDIN") as copy:
        copy.write(batch.copy_text)
    stored, card_lines = sql.resolve_batch(cursor)
    staged.stored_persons += stored
    staged.problems.extend(batch.problems)
    for line in card_lines:
        staged.problems.append(RowError.of(line, AccountsError.DUPLICATE_CARD_NUMBER, "（已属于另一参保人）"))
        staged.card_reported.add(line)
    if batch.rejected or staged.problems:
        staged.writing = False  # the file will be rejected; the duplicate checks name the lines
    if staged.writing:
        staged.inserted += sql.insert_new(cursor, actor_id=actor_id)
        staged.opened += sql.open_accounts(cursor, actor_id=actor_id)
    sql.keep_batch(cursor)


def _repeats_within(rows: list[PersonRow]) -> bool:
    """Whether two rows of the batch share an identity or card number: the whole-file check will
    reject the file and report them by line (inserting both would break a unique constraint)."""
    keyed = [row for row in rows if row.id_hash is not None]
    cards = [row.card_number for row in rows if row.card_number is not None]
    return len({row.id_hash for row in keyed}) < len(keyed) or len(set(cards)) < len(cards)


_BOOLEAN = {True: "t", False: "f", None: "\\N"}


def _text(value: object) -> str:
    return "\\N" if value is None else str(value)
