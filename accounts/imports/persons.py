"""`import_persons`: upsert insured persons by identity number, a million rows at a time.

How it works, all in one transaction (all-or-nothing):
1. The file is streamed in batches. Each row is validated in Python (person_rows), its identity
   number and phone are hashed for lookup, and, only where the value will really be written, they
   are encrypted: a batch first asks which identity hashes are already stored, so an unchanged
   person costs no encryption at all.
2. Every row, valid or not, goes through PostgreSQL COPY into a TEMP staging table that lives only
   in this transaction. Invalid cells are NULL there; plaintext identity numbers never reach the
   database, only ciphertext and keyed hashes.
3. Checks that need the whole file or the database run as SQL on the staging table: the same
   identity number or card number twice in the file, a card number held by another person.
4. If any row had a problem: ImportRejected with every problem of every row; nothing is stored.
5. Otherwise set-based SQL updates the persons whose data changed, inserts the new ones, opens a
   personal account for every employee in the file who has none (its opening balance is the file's
   balance, explained by one `credit` entry 期初余额), and writes django-simple-history rows for
   each of those changes, so the admin's history shows the import like any other edit.

An existing personal account's balance is never changed by a re-import: after opening, the
ledger is the truth. Re-running the same file changes nothing and writes no history."""

import itertools
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

from accounts.errors import AccountsError
from accounts.imports.bulk_crypto import BulkEncryptor
from accounts.imports.person_rows import COLUMNS, PersonRow, PersonRowParser
from accounts.models import Person, PersonalAccount, PoolingRegion, User
from portal.core.csvimport import CsvReader, ImportRejected, ImportResult, RowError, Stopwatch
from portal.core.errors import CONFLICT, ApplicationError
from portal.core.time import today

BATCH_ROWS = 10_000
CHANGE_REASON = "import_persons"
OPENING_DESCRIPTION = "期初余额"
# pg_advisory_xact_lock key: one persons import at a time (arbitrary constant, "imppers" in ASCII).
_LOCK_KEY = 0x696D7070657273

STAGING = "import_persons_staging"
# The staging columns, in COPY order; the first is the file's line number.
STAGING_COLUMNS = (
    "line",
    "id_hash",
    "id_number",
    "name",
    "card_number",
    "phone",
    "phone_hash",
    "sex",
    "birth_date",
    "region_id",
    "insurance_type",
    "status",
    "is_pensioner",
    "last_certified_on",
    "balance_fen",
)
# Every column the import writes; tests check these against the models, so a new column in a
# model cannot be silently left out of the SQL below.
PERSON_COLUMNS = (*STAGING_COLUMNS[1:-1], "created_at", "updated_at")
ACCOUNT_COLUMNS = ("person_id", "balance_fen", "created_at", "updated_at")
ENTRY_COLUMNS = (
    "public_id",
    "account_id",
    "kind",
    "amount_fen",
    "balance_after_fen",
    "description",
    "created_at",
)
# The columns an import may change on an existing person: its identity number is the key (so
# sex and birth date follow from it), and its encrypted number is never rewritten.
COMPARED_COLUMNS = (
    "name",
    "card_number",
    "phone_hash",
    "region_id",
    "insurance_type",
    "status",
    "is_pensioner",
    "last_certified_on",
)
_HISTORY_OWN_COLUMNS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


def persons_import(*, path: Path, dry_run: bool = False, actor: User | None = None) -> ImportResult:
    """Imports (or, with dry_run, only validates) a persons file; raises ImportRejected listing
    every problem of every bad row, in which case nothing is stored."""
    watch = Stopwatch()
    reader = CsvReader(path, COLUMNS)
    parser = PersonRowParser(region_ids=dict(PoolingRegion.objects.values_list("code", "id")), as_of=today())
    encryptor = BulkEncryptor()
    problems: list[RowError] = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _prepare(cursor)
            for batch in itertools.batched(reader.rows(), BATCH_ROWS):
                rows = [parser.parse(line, cells) for line, cells in batch]
                for row in rows:
                    if row.problems:
                        problems.extend(RowError.of(row.line, code) for code in row.problems)
                _stage(cursor, rows, encryptor if not (problems or reader.errors) else None)
            cursor.execute(f"ANALYZE {STAGING}")
            problems.extend(reader.errors)
            problems.extend(_duplicates(cursor))
            if problems:
                raise ImportRejected(problems)
            updated = _update_changed(cursor, actor)
            inserted = _insert_new(cursor, actor)
            opened = _open_accounts(cursor, actor)
            cursor.execute(f"DROP TABLE {STAGING}")
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        # Only possible when another transaction changed persons while this file was read (a
        # person stored then deleted, a card taken); the file itself was fully checked above.
        raise ApplicationError.of(CONFLICT, AccountsError.IMPORT_CONFLICT) from exc
    staged = reader.rows_read
    return ImportResult(
        rows_read=staged,
        inserted=inserted,
        updated=updated,
        unchanged=staged - inserted - updated,
        seconds=watch.seconds,
        dry_run=dry_run,
        extra={"accounts opened": opened},
    )


def _prepare(cursor: CursorWrapper) -> None:
    # One import at a time; readers are never blocked.
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # Hashing a million staged rows (duplicate checks, joins) in memory, not in temporary files.
    cursor.execute("SET LOCAL work_mem = '128MB'")
    # The staging table: TEMP (this session only, never WAL-logged), dropped at commit. The DROP
    # first covers a caller's outer transaction that already ran an import (tests do).
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGING}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {STAGING} (
            line              integer NOT NULL,
            id_hash           text,     -- HMAC-SHA256 of the normalised identity number
            id_number         text,     -- Fernet ciphertext; NULL when the person is already stored
            name              text,
            card_number       text,
            phone             text,     -- Fernet ciphertext, '' for no phone; NULL when unchanged
            phone_hash        text,
            sex               text,
            birth_date        date,
            region_id         bigint,
            insurance_type    text,
            status            text,
            is_pensioner      boolean,
            last_certified_on date,
            balance_fen       bigint
        ) ON COMMIT DROP
        """
    )


def _stage(cursor: CursorWrapper, rows: list[PersonRow], encryptor: BulkEncryptor | None) -> None:
    """COPY one batch into the staging table. Encrypts only what will be written: the identity
    number of a person not stored yet, and a phone number that is new or changed. Once the file is
    known to be rejected (no encryptor) nothing is encrypted any more; the rows are still staged
    for the checks that need the whole file."""
    hashes = [row.id_hash for row in rows if row.id_hash is not None]
    cursor.execute("SELECT id_hash, phone_hash FROM accounts_person WHERE id_hash = ANY(%s)", [hashes])
    stored_phone_hash: dict[str, str] = dict(cursor.fetchall())
    id_ciphers: dict[int, str] = {}
    phone_ciphers: dict[int, str] = {}
    if encryptor is not None:
        new_ids: list[tuple[int, str]] = []
        new_phones: list[tuple[int, str]] = []
        for i, row in enumerate(rows):
            if row.id_hash is None:
                continue
            known = stored_phone_hash.get(row.id_hash)
            if known is None and row.number is not None:
                new_ids.append((i, row.number))
            if row.phone and row.phone_hash != known:
                new_phones.append((i, row.phone))
        for found, plain in ((id_ciphers, new_ids), (phone_ciphers, new_phones)):
            found.update(
                zip((i for i, _ in plain), encryptor.encrypt_all([v for _, v in plain]), strict=True)
            )
    # COPY text format, written by hand for speed: every value comes from a validated alphabet
    # (digits, hex, base64url, the fixed enum words, names of 汉字/letters/·/space), so none can
    # hold a tab, newline or backslash, and no escaping is needed. \N is NULL.
    lines = []
    for i, row in enumerate(rows):
        phone = phone_ciphers.get(i)
        if phone is None and row.phone == "":
            phone = ""  # no phone: stored as '' (not NULL)
        lines.append(
            f"{row.line}\t{_text(row.id_hash)}\t{_text(id_ciphers.get(i))}\t{_text(row.name)}\t"
            f"{_text(row.card_number)}\t{_text(phone)}\t{_text(row.phone_hash)}\t{_text(row.sex)}\t"
            f"{_text(row.birth_date)}\t{_text(row.region_id)}\t{_text(row.insurance_type)}\t"
            f"{_text(row.status)}\t{_BOOLEAN[row.is_pensioner]}\t{_text(row.last_certified_on)}\t"
            f"{_text(row.balance_fen)}\n"
        )
    with cursor.cursor.copy(f"COPY {STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
        copy.write("".join(lines))


_BOOLEAN = {True: "t", False: "f", None: "\\N"}


def _text(value: object) -> str:
    return "\\N" if value is None else str(value)


def _duplicates(cursor: CursorWrapper) -> list[RowError]:
    """The same identity number or card number on an earlier line, or a card number that
    belongs to another person in the database. Reported on the later line."""
    cursor.execute(
        f"""
        SELECT line, 'id', first_line FROM (
            SELECT line, first_value(line) OVER w AS first_line, row_number() OVER w AS nth
              FROM {STAGING} WHERE id_hash IS NOT NULL
            WINDOW w AS (PARTITION BY id_hash ORDER BY line)
        ) AS t WHERE nth > 1
        UNION ALL
        SELECT line, 'card', first_line FROM (
            SELECT line, first_value(line) OVER w AS first_line, row_number() OVER w AS nth
              FROM {STAGING} WHERE card_number IS NOT NULL
            WINDOW w AS (PARTITION BY card_number ORDER BY line)
        ) AS t WHERE nth > 1
        UNION ALL
        SELECT s.line, 'card_held', NULL
          FROM {STAGING} AS s JOIN accounts_person AS p ON p.card_number = s.card_number
         WHERE s.id_hash IS NULL OR p.id_hash <> s.id_hash
        """  # noqa: S608 (identifiers are this module's constants, values are parameters)
    )
    errors: list[RowError] = []
    seen: set[tuple[int, str]] = set()
    for line, kind, first_line in sorted(cursor.fetchall()):
        if kind == "id":
            errors.append(
                RowError.of(line, AccountsError.DUPLICATE_ID_NUMBER, f"（与第 {first_line} 行相同）")
            )
        elif (line, "card") not in seen:  # a card both repeated and held by another: say it once
            seen.add((line, "card"))
            detail = f"（与第 {first_line} 行相同）" if kind == "card" else "（已属于另一参保人）"
            errors.append(RowError.of(line, AccountsError.DUPLICATE_CARD_NUMBER, detail))
    return errors


def _history_columns(model: type[Model]) -> list[str]:
    """The tracked columns of a model's django-simple-history table; each has the same name as
    the model's own column, so a history row is a copy of the row plus who, when and why."""
    history_model = model.history.model  # type: ignore[attr-defined]
    return [f.column for f in history_model._meta.concrete_fields if f.column not in _HISTORY_OWN_COLUMNS]


def _tracked(model: type[Model], alias: str = "") -> str:
    """The tracked columns as a select list: a CTE returns just these for its history rows."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + connection.ops.quote_name(c) for c in _history_columns(model))


def _history_insert(model: type[Model], source: str, history_type: str) -> str:
    """INSERT ... SELECT writing one history row per row of `source` (a CTE that returned
    `_tracked(model)`); parameters: change reason, actor id."""
    table = model.history.model._meta.db_table  # type: ignore[attr-defined]
    columns = _tracked(model)
    return f"""
        INSERT INTO {table}
               ({columns}, history_date, history_change_reason, history_type, history_user_id)
        SELECT {columns}, now(), %s, '{history_type}', %s FROM {source}
    """  # noqa: S608 (column names from model metadata, the rest constants of this module)


def _update_changed(cursor: CursorWrapper, actor: User | None) -> int:
    """Persons already stored whose data differ from the file: updated, with a '~' history row."""
    cursor.execute(
        f"""
        WITH changed AS (
            UPDATE accounts_person AS p
               SET name = s.name,
                   card_number = s.card_number,
                   -- the stored ciphertext stays unless the phone number itself changed (staging
                   -- holds a new ciphertext exactly then; NULL would violate NOT NULL and abort)
                   phone = CASE WHEN p.phone_hash = s.phone_hash THEN p.phone ELSE s.phone END,
                   phone_hash = s.phone_hash,
                   region_id = s.region_id,
                   insurance_type = s.insurance_type,
                   status = s.status,
                   is_pensioner = s.is_pensioner,
                   last_certified_on = s.last_certified_on,
                   updated_at = now()
              FROM {STAGING} AS s
             WHERE p.id_hash = s.id_hash
               -- only rows where something actually changed: idempotent, no empty history
               AND ({", ".join(f"p.{c}" for c in COMPARED_COLUMNS)})
                   IS DISTINCT FROM ({", ".join(f"s.{c}" for c in COMPARED_COLUMNS)})
            RETURNING {_tracked(Person, "p")}
        )
        {_history_insert(Person, "changed", "~")}
        """,  # noqa: S608 (identifiers are this module's constants, values are parameters)
        [CHANGE_REASON, actor.pk if actor else None],
    )
    return cursor.rowcount


def _insert_new(cursor: CursorWrapper, actor: User | None) -> int:
    """Persons not stored yet: inserted (in the staging table's order, which is the file's in
    practice; no ORDER BY, whose sort of a million wide rows costs more than it is worth), each
    with a '+' history row."""
    columns = ", ".join(PERSON_COLUMNS)
    values = ", ".join(f"s.{c}" for c in PERSON_COLUMNS[:-2])
    cursor.execute(
        f"""
        WITH added AS (
            INSERT INTO accounts_person ({columns})
            SELECT {values}, now(), now()
              FROM {STAGING} AS s
             WHERE NOT EXISTS (SELECT 1 FROM accounts_person AS p WHERE p.id_hash = s.id_hash)
            RETURNING {_tracked(Person)}
        )
        {_history_insert(Person, "added", "+")}
        """,  # noqa: S608 (identifiers are this module's constants, values are parameters)
        [CHANGE_REASON, actor.pk if actor else None],
    )
    return cursor.rowcount


def _open_accounts(cursor: CursorWrapper, actor: User | None) -> int:
    """A personal account for every employee in the file who has none, with the file's balance;
    a balance above 0 is explained by one opening credit entry, so balance == sum of entries."""
    cursor.execute(
        f"""
        WITH opened AS (
            INSERT INTO accounts_personalaccount ({", ".join(ACCOUNT_COLUMNS)})
            SELECT p.id, s.balance_fen, now(), now()
              FROM {STAGING} AS s
              JOIN accounts_person AS p ON p.id_hash = s.id_hash
             WHERE s.insurance_type = 'employee'
               AND NOT EXISTS (SELECT 1 FROM accounts_personalaccount AS a WHERE a.person_id = p.id)
            RETURNING *
        ),
        opening_entries AS (
            INSERT INTO accounts_accountentry ({", ".join(ENTRY_COLUMNS)})
            SELECT gen_random_uuid(), o.id, 'credit', o.balance_fen, o.balance_fen, %s, now()
              FROM opened AS o
             WHERE o.balance_fen > 0
        ),
        account_history AS (
            {_history_insert(PersonalAccount, "opened", "+")}
        )
        SELECT count(*) FROM opened
        """,  # noqa: S608 (identifiers are this module's constants, values are parameters)
        [OPENING_DESCRIPTION, CHANGE_REASON, actor.pk if actor else None],
    )
    (opened,) = cursor.fetchone()
    return int(opened)
