"""`import_persons`: upsert insured persons by identity number, a million rows at a time.

All in one transaction (all-or-nothing):
1. The file is streamed in batches of BATCH_ROWS. Each row is validated in Python (person_rows)
   and its identity number and phone are hashed for lookup. One query per batch finds the stored
   persons with these identity numbers and the holders of these card numbers: a card held by
   another person is refused, and only what will really be written is encrypted (the identity
   number of a new person, a new or changed phone), so an unchanged person costs no encryption.
2. Every row, valid or not, is COPYed into a TEMP staging table (persons_sql). Invalid cells are
   NULL there; plaintext numbers never reach the database, only ciphertext and keyed hashes.
3. Checks that need the whole file run as SQL on the staging table: the same identity number or
   card number on two lines.
4. If any row had a problem: ImportRejected with every problem of every row; nothing is stored.
5. Otherwise set-based SQL updates the persons whose data changed, inserts the new ones, opens a
   personal account for every employee of the file who has none (its opening balance is the file's
   balance, explained by one `credit` entry 期初余额), and writes the django-simple-history rows of
   each change (reason `import_persons`, user `actor`), so the admin shows the import like any edit.

An existing personal account's balance is never changed by a re-import: after opening, the ledger
is the truth. Re-running the same file changes nothing and writes no history. Card numbers are
checked against the database as it was before the import, so a card cannot move from one person to
another within one file."""

import itertools
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
    new_persons: int = 0
    stored_persons: int = 0
    card_reported: set[int] = field(default_factory=set)  # lines whose card is already reported


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
        with transaction.atomic(), connection.cursor() as cursor:
            sql.prepare(cursor)
            for batch in itertools.batched(reader.rows(), BATCH_ROWS):
                rows = [parser.parse(line, cells) for line, cells in batch]
                rejected = bool(staged.problems or reader.errors)
                _stage(cursor, rows, staged, None if rejected else encryptor)
            sql.analyze(cursor, stored_rows=staged.stored_persons > 0)
            staged.problems.extend(reader.errors)
            staged.problems.extend(sql.duplicates(cursor, reported_cards=staged.card_reported))
            if staged.problems:
                raise ImportRejected(staged.problems)
            updated = sql.update_changed(cursor, actor_id=actor_id) if staged.stored_persons else 0
            if staged.stored_persons:
                sql.queue_stored_employees_without_account(cursor)
            inserted = sql.insert_new(cursor, actor_id=actor_id)
            opened = sql.open_accounts(cursor, actor_id=actor_id)
            sql.drop(cursor)
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        # Only when another transaction wrote persons while this file was read (a person or card
        # stored meanwhile, a phone changed); the file itself was fully checked above.
        raise ApplicationError.of(CONFLICT, AccountsError.IMPORT_CONFLICT) from exc
    return ImportResult(
        rows_read=reader.rows_read,
        inserted=inserted,
        updated=updated,
        unchanged=reader.rows_read - inserted - updated,
        seconds=watch.seconds,
        dry_run=dry_run,
        extra={"accounts opened": opened},
    )


def _stage(
    cursor: CursorWrapper, rows: list[PersonRow], staged: _Staged, encryptor: BulkEncryptor | None
) -> None:
    """Checks one batch against the stored persons and COPYs it into the staging table. Without
    an encryptor (the file is already known to be rejected) nothing is encrypted: the rows are
    staged only for the checks that need the whole file."""
    stored, card_holders = sql.stored_persons(
        cursor,
        id_hashes=[row.id_hash for row in rows if row.id_hash is not None],
        cards=[row.card_number for row in rows if row.card_number is not None],
    )
    person_ids: dict[int, int] = {}
    to_encrypt: list[tuple[dict[int, str], int, str]] = []  # (target, row index, plaintext)
    id_ciphers: dict[int, str] = {}
    phone_ciphers: dict[int, str] = {}
    for i, row in enumerate(rows):
        problems = [RowError.of(row.line, code) for code in row.problems]
        holder = card_holders.get(row.card_number or "")
        if holder is not None and holder != row.id_hash:
            problems.append(
                RowError.of(row.line, AccountsError.DUPLICATE_CARD_NUMBER, "（已属于另一参保人）")
            )
            staged.card_reported.add(row.line)
        if problems:
            staged.problems.extend(problems)
        if row.id_hash is None:
            continue
        person_id, stored_phone_hash = stored.get(row.id_hash, (None, None))
        if person_id is None:
            staged.new_persons += 1
            to_encrypt.append((id_ciphers, i, row.number or ""))
        else:
            staged.stored_persons += 1
            person_ids[i] = person_id
        if row.phone and row.phone_hash != stored_phone_hash:
            to_encrypt.append((phone_ciphers, i, row.phone))
    if encryptor is not None and not staged.problems:
        tokens = encryptor.encrypt_all([plain for _, _, plain in to_encrypt])
        for (target, i, _), token in zip(to_encrypt, tokens, strict=True):
            target[i] = token
    # COPY text format written by hand, for speed: every value comes from a validated alphabet
    # (digits, hex, base64url, the fixed enum words, names of 汉字/letters/·/space), so none holds
    # a tab, newline or backslash and nothing needs escaping; \N is NULL.
    lines = []
    for i, row in enumerate(rows):
        phone = phone_ciphers.get(i)
        if phone is None and row.phone == "":
            phone = ""  # no phone: stored as '', not NULL
        lines.append(
            f"{row.line}\t{_text(person_ids.get(i))}\t{_text(row.id_hash)}\t{_text(id_ciphers.get(i))}\t"
            f"{_text(row.name)}\t{_text(row.card_number)}\t{_text(phone)}\t{_text(row.phone_hash)}\t"
            f"{_text(row.sex)}\t{_text(row.birth_date)}\t{_text(row.region_id)}\t{_text(row.insurance_type)}\t"
            f"{_text(row.status)}\t{_BOOLEAN[row.is_pensioner]}\t{_text(row.last_certified_on)}\t"
            f"{_text(row.balance_fen)}\n"
        )
    with cursor.cursor.copy(f"COPY {sql.STAGING} ({', '.join(sql.STAGING_COLUMNS)}) FROM STDIN") as copy:
        copy.write("".join(lines))


_BOOLEAN = {True: "t", False: "f", None: "\\N"}


def _text(value: object) -> str:
    return "\\N" if value is None else str(value)
