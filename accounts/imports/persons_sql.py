"""The SQL of `import_persons` (see accounts.imports.persons for the whole flow).

Every statement is set-based over the TEMP staging table, and no statement reads the table it is
writing: an anti-join against a table that the same statement fills is planned for the table's
size before the statement and degrades to quadratic time as it grows. The staging rows therefore
carry the stored person's id (`person_id`, looked up per batch by resolve_batch), new persons are the
rows without one, and the persons that get an account are collected in a second TEMP table before
any account is written. Identifiers in the SQL are this module's constants or column names from
model metadata; every value is a query parameter."""

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.utils.translation import gettext_noop

from accounts.errors import AccountsError
from accounts.models import Person, PersonalAccount
from portal.core.csvimport import RowError

CHANGE_REASON = "import_persons"
OPENING_DESCRIPTION = gettext_noop("期初余额")  # a msgid: the account page translates it
# pg_advisory_xact_lock key: one persons import at a time (arbitrary constant, "imppers" in ASCII).
_LOCK_KEY = 0x696D7070657273

STAGING = "import_persons_staging"
BATCH = "import_persons_batch"  # one batch, COPYed here first, then appended to STAGING
TO_OPEN = "import_persons_open"
# The staging columns, in COPY order.
STAGING_COLUMNS = (
    "line",  # the file's line number
    "person_id",  # the stored person with this identity number, NULL for a new one
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
# Every column the import writes; tests compare these with the models, so a new column in a model
# cannot be silently left out of the SQL below.
PERSON_COLUMNS = (*STAGING_COLUMNS[2:-1], "created_at", "updated_at")
ACCOUNT_COLUMNS = ("person_id", "balance_fen", "monthly_credit_fen", "created_at", "updated_at")
ENTRY_COLUMNS = (
    "public_id",
    "account_id",
    "kind",
    "amount_fen",
    "balance_after_fen",
    "description",
    "period",
    "beneficiary_id",
    "institution_id",
    "created_at",
)
# What an import may change on a stored person: the identity number is the key (sex and birth
# date follow from it) and its ciphertext is never rewritten.
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


def prepare(cursor: CursorWrapper) -> None:
    # One persons import at a time; readers and other writers are not blocked.
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # Hash joins and the duplicate checks over a million staged rows in memory, not temp files.
    cursor.execute("SET LOCAL work_mem = '128MB'")
    # TEMP tables: this session only, not WAL-logged, dropped at commit. The DROPs first cover a
    # caller's outer transaction that already ran an import (tests do).
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGING}, pg_temp.{BATCH}, pg_temp.{TO_OPEN}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {STAGING} (
            line              integer NOT NULL,
            person_id         bigint,   -- accounts_person.id when the person is already stored (resolve_batch)
            id_hash           text,     -- HMAC-SHA256 of the normalised identity number
            id_number         text,     -- Fernet ciphertext (written only for a new person)
            name              text,
            card_number       text,
            phone             text,     -- Fernet ciphertext, '' for no phone (written only when its hash changed)
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
    cursor.execute(f"CREATE TEMP TABLE {BATCH} (LIKE {STAGING}) ON COMMIT DROP")
    cursor.execute(
        f"CREATE TEMP TABLE {TO_OPEN} (person_id bigint NOT NULL, balance_fen bigint NOT NULL) ON COMMIT DROP"
    )


def resolve_batch(cursor: CursorWrapper) -> tuple[int, list[int]]:
    """Marks the batch table's rows whose person is stored (person_id) and returns how many there
    are and the lines whose card number another person holds. One index probe per key, whatever
    the planner believes about accounts_person: a first import fills a table without statistics,
    where a join or `= ANY(array)` was planned as a sequential scan that grew with every batch."""
    cursor.execute(
        f"""
        WITH resolved AS (
            SELECT b.line, p.id AS person_id,
                   c.id_hash IS NOT NULL AND c.id_hash IS DISTINCT FROM b.id_hash AS card_taken
              FROM {BATCH} AS b
              LEFT JOIN LATERAL (
                   SELECT id FROM accounts_person WHERE id_hash = b.id_hash LIMIT 1
              ) AS p ON true
              LEFT JOIN LATERAL (
                   SELECT id_hash FROM accounts_person WHERE card_number = b.card_number LIMIT 1
              ) AS c ON true
        ),
        marked AS (
            UPDATE {BATCH} AS b SET person_id = r.person_id
              FROM resolved AS r
             WHERE b.line = r.line AND r.person_id IS NOT NULL
            RETURNING b.line
        )
        SELECT (SELECT count(*) FROM marked),
               coalesce((SELECT array_agg(line ORDER BY line) FROM resolved WHERE card_taken), '{{}}')
        """  # noqa: S608 (identifiers are this module's constants)
    )
    stored, card_lines = cursor.fetchone()
    return int(stored), list(card_lines)


def analyze(cursor: CursorWrapper, *, stored_rows: bool) -> None:
    """Statistics for the planner: the staging table always (TEMP tables are never auto-analysed);
    the persons and accounts tables when the file updates stored persons, because a bulk load just
    before may have left their statistics describing a much smaller table."""
    cursor.execute(f"ANALYZE {STAGING}")
    if stored_rows:
        cursor.execute("ANALYZE accounts_person, accounts_personalaccount")


def duplicates(cursor: CursorWrapper, *, reported_cards: set[int]) -> list[RowError]:
    """The same identity number or card number as on an earlier line of the file, reported on the
    later line. `reported_cards` are lines whose card is already reported (held by another person)."""
    # Grouped by hashing, not sorting: the groups of a million keys are counted in memory, and
    # only the rare repeated keys are joined back for their lines.
    cursor.execute(
        f"""
        WITH repeated_ids AS (
            SELECT id_hash, min(line) AS first_line FROM {STAGING}
             WHERE id_hash IS NOT NULL GROUP BY id_hash HAVING count(*) > 1
        ),
        repeated_cards AS (
            SELECT card_number, min(line) AS first_line FROM {STAGING}
             WHERE card_number IS NOT NULL GROUP BY card_number HAVING count(*) > 1
        )
        SELECT s.line, 'id', r.first_line
          FROM {STAGING} AS s JOIN repeated_ids AS r ON r.id_hash = s.id_hash
         WHERE s.line > r.first_line
        UNION ALL
        SELECT s.line, 'card', r.first_line
          FROM {STAGING} AS s JOIN repeated_cards AS r ON r.card_number = s.card_number
         WHERE s.line > r.first_line
        """  # noqa: S608 (identifiers are this module's constants)
    )
    errors = []
    for line, kind, first_line in sorted(cursor.fetchall()):
        if kind == "id":
            errors.append(
                RowError.of(line, AccountsError.DUPLICATE_ID_NUMBER, f"（与第 {first_line} 行相同）")
            )
        elif line not in reported_cards:
            errors.append(
                RowError.of(line, AccountsError.DUPLICATE_CARD_NUMBER, f"（与第 {first_line} 行相同）")
            )
    return errors


def update_changed(cursor: CursorWrapper, *, actor_id: int | None) -> int:
    """Stored persons whose data differ from the file: updated, each with a '~' history row."""
    cursor.execute(
        f"""
        WITH changed AS (
            UPDATE accounts_person AS p
               SET name = s.name,
                   card_number = s.card_number,
                   -- the stored ciphertext stays unless the phone number itself changed; staging
                   -- holds a new ciphertext exactly then (NULL would violate NOT NULL and abort)
                   phone = CASE WHEN p.phone_hash = s.phone_hash THEN p.phone ELSE s.phone END,
                   phone_hash = s.phone_hash,
                   region_id = s.region_id,
                   insurance_type = s.insurance_type,
                   status = s.status,
                   is_pensioner = s.is_pensioner,
                   last_certified_on = s.last_certified_on,
                   updated_at = now()
              FROM {STAGING} AS s
             WHERE p.id = s.person_id
               -- only where something actually changed: idempotent, and no empty history rows
               AND ({", ".join(f"p.{c}" for c in COMPARED_COLUMNS)})
                   IS DISTINCT FROM ({", ".join(f"s.{c}" for c in COMPARED_COLUMNS)})
            RETURNING {_tracked(Person, "p")}
        )
        {_history_insert(Person, "changed", "~")}
        """,  # noqa: S608 (identifiers are this module's constants)
        [CHANGE_REASON, actor_id],
    )
    return cursor.rowcount


def insert_new(cursor: CursorWrapper, *, actor_id: int | None) -> int:
    """The persons of the batch table not stored yet (no person_id), each with a '+' history
    row; the new employees are queued in TO_OPEN with their opening balance."""
    returning = _tracked(Person, extra=("id", "id_hash", "insurance_type"))
    cursor.execute(
        f"""
        WITH added AS (
            INSERT INTO accounts_person ({", ".join(PERSON_COLUMNS)})
            SELECT {", ".join(f"s.{c}" for c in PERSON_COLUMNS[:-2])}, now(), now()
              FROM {BATCH} AS s
             WHERE s.person_id IS NULL
             -- in key order of the widest random index (id_hash): its pages are visited in order
             -- (file order measured no faster at a million rows); ids do not follow the file's lines
             ORDER BY s.id_hash
            RETURNING {returning}
        ),
        history AS (
            {_history_insert(Person, "added", "+")}
        ),
        queued AS (
            INSERT INTO {TO_OPEN} (person_id, balance_fen)
            SELECT a.id, s.balance_fen
              FROM added AS a JOIN {BATCH} AS s ON s.id_hash = a.id_hash
             WHERE a.insurance_type = 'employee'
        )
        SELECT count(*) FROM added
        """,  # noqa: S608 (identifiers are this module's constants)
        [CHANGE_REASON, actor_id],
    )
    (inserted,) = cursor.fetchone()
    return int(inserted)


def queue_stored_employees_without_account(cursor: CursorWrapper) -> None:
    """Stored persons who are employees in the file (newly or still) and have no account yet."""
    cursor.execute(
        f"""
        INSERT INTO {TO_OPEN} (person_id, balance_fen)
        SELECT s.person_id, s.balance_fen
          FROM {STAGING} AS s
         WHERE s.person_id IS NOT NULL
           AND s.insurance_type = 'employee'
           AND NOT EXISTS (SELECT 1 FROM accounts_personalaccount AS a WHERE a.person_id = s.person_id)
        """  # noqa: S608 (identifiers are this module's constants)
    )


def open_accounts(cursor: CursorWrapper, *, actor_id: int | None) -> int:
    """A personal account for each queued person, holding the file's balance; a balance above 0
    is explained by one opening credit entry (balance == sum of entries), with fresh public ids.
    The queue is emptied."""
    cursor.execute(
        f"""
        WITH opened AS (
            INSERT INTO accounts_personalaccount ({", ".join(ACCOUNT_COLUMNS)})
            SELECT person_id, balance_fen, 0, now(), now() FROM {TO_OPEN}
            RETURNING {_tracked(PersonalAccount, extra=("id", "balance_fen"))}
        ),
        opening_entries AS (
            INSERT INTO accounts_accountentry ({", ".join(ENTRY_COLUMNS)})
            SELECT gen_random_uuid(), o.id, 'credit', o.balance_fen, o.balance_fen, %s, NULL, NULL, NULL, now()
              FROM opened AS o
             WHERE o.balance_fen > 0
        ),
        history AS (
            {_history_insert(PersonalAccount, "opened", "+")}
        )
        SELECT count(*) FROM opened
        """,  # noqa: S608 (identifiers are this module's constants)
        [OPENING_DESCRIPTION, CHANGE_REASON, actor_id],
    )
    (opened,) = cursor.fetchone()
    cursor.execute(f"TRUNCATE {TO_OPEN}")
    return int(opened)


def keep_batch(cursor: CursorWrapper) -> None:
    """Appends the batch table to the staging table (for the whole-file checks) and empties it."""
    cursor.execute(f"INSERT INTO {STAGING} SELECT * FROM {BATCH}")  # noqa: S608 (constants)
    cursor.execute(f"TRUNCATE {BATCH}")


def drop(cursor: CursorWrapper) -> None:
    cursor.execute(f"DROP TABLE {STAGING}, {BATCH}, {TO_OPEN}")


def history_columns(model: type[Model]) -> list[str]:
    """The tracked columns of a model's django-simple-history table; each has the same name as
    the model's own column, so a history row is a copy of the row plus who, when and why."""
    history_model = model.history.model  # type: ignore[attr-defined]
    return [f.column for f in history_model._meta.concrete_fields if f.column not in _HISTORY_OWN_COLUMNS]


def _tracked(model: type[Model], alias: str = "", extra: tuple[str, ...] = ()) -> str:
    """The tracked columns (and `extra` ones) as a select list, for a CTE's RETURNING."""
    columns = history_columns(model)
    columns += [c for c in extra if c not in columns]
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + connection.ops.quote_name(c) for c in columns)


def _history_insert(model: type[Model], source: str, history_type: str) -> str:
    """INSERT ... SELECT writing one history row per row of `source`, a CTE that returned the
    tracked columns; its parameters are the change reason and the actor's id."""
    table = model.history.model._meta.db_table  # type: ignore[attr-defined]
    columns = ", ".join(connection.ops.quote_name(c) for c in history_columns(model))
    return f"""
        INSERT INTO {table}
               ({columns}, history_date, history_change_reason, history_type, history_user_id)
        SELECT {columns}, now(), %s, '{history_type}', %s FROM {source}
    """  # noqa: S608 (column names from model metadata, the rest constants of this module)
