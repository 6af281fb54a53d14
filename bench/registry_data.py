"""A registry-sized population for the family-sharing benchmarks, generated in SQL (generate_series),
in a bench-only province and pooling region so that it never mixes with real rows and is deleted
afterwards.

Persons come in family blocks of 10 (block k, role r is person n = 10k + r, card `<letter>` + n):

    r  who                        born          insurance
    0  grandfather                1940 + j      employee (retired)
    1  grandmother                1942 + j      resident
    2  father                     1965 + j      employee  (a sharer)
    3  father's younger sister    1968 + j      employee
    4  mother (daughter of block k+1's 0 and 1)   1967 + j   employee
    5  son                        1990 + j      employee  (a sharer)
    6  daughter                   1993 + j      employee
    7  son's wife (daughter of block k+2's 2 and 4)  1991 + j  employee
    8  grandson                   2016 + j      resident
    9  granddaughter              2019 + j      resident

(j = k mod 360 days.) Each block has 20 edges: 3 current marriages (0-1, 2-4, 5-7), 1 ended one
(3 with block k+5's 2, 1988), 12 birth edges inside the block and 4 to the neighbouring blocks'
parents, so 1,000,000 persons carry 2,000,000 edges; about one block in 97 records the aunt as
adopted. Identity numbers are placeholders (one Fernet token for all, a sha256 id_hash of 64 hex
characters per person): the checks load persons by primary key, and `realise_numbers` gives real,
valid numbers to the few persons an HTTP benchmark looks up by number."""

import datetime as dt
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from portal.core import crypto

EDGES_PER_BLOCK = 20
ROLES = (
    # role: (birth year, sex, insurance type)
    (1940, "male", "employee"),
    (1942, "female", "resident"),
    (1965, "male", "employee"),
    (1968, "female", "employee"),
    (1967, "female", "employee"),
    (1990, "male", "employee"),
    (1993, "female", "employee"),
    (1991, "female", "employee"),
    (2016, "male", "resident"),
    (2019, "female", "resident"),
)
# (seq, kind, a role, a block offset, b role, b block offset, parent_kind, valid_from, valid_to)
EDGE_TEMPLATE = (
    (0, "spouse", 0, 0, 1, 0, "", "1963-05-01", None),
    (1, "spouse", 2, 0, 4, 0, "", "1989-05-01", None),
    (2, "spouse", 5, 0, 7, 0, "", "2014-10-01", None),
    (3, "spouse", 3, 0, 2, 5, "", "1988-01-01", "1988-12-31"),
    (4, "parent", 0, 0, 2, 0, "birth", None, None),
    (5, "parent", 1, 0, 2, 0, "birth", None, None),
    (6, "parent", 0, 0, 3, 0, "birth", None, None),
    (7, "parent", 1, 0, 3, 0, "birth", None, None),
    (8, "parent", 2, 0, 5, 0, "birth", None, None),
    (9, "parent", 4, 0, 5, 0, "birth", None, None),
    (10, "parent", 2, 0, 6, 0, "birth", None, None),
    (11, "parent", 4, 0, 6, 0, "birth", None, None),
    (12, "parent", 5, 0, 8, 0, "birth", None, None),
    (13, "parent", 7, 0, 8, 0, "birth", None, None),
    (14, "parent", 5, 0, 9, 0, "birth", None, None),
    (15, "parent", 7, 0, 9, 0, "birth", None, None),
    (16, "parent", 0, 1, 4, 0, "birth", None, None),
    (17, "parent", 1, 1, 4, 0, "birth", None, None),
    (18, "parent", 2, 2, 7, 0, "birth", None, None),
    (19, "parent", 4, 2, 7, 0, "birth", None, None),
)
assert len(EDGE_TEMPLATE) == EDGES_PER_BLOCK


@dataclass(frozen=True)
class Relation:
    """What person (block k + b_off, role b_role) is to person (block k, role s_role): `code`."""

    s_role: int
    b_role: int
    b_off: int
    code: str
    expected: str  # eligible | needs_evidence | refused


# Pairs of real relatives (all near relatives of 民法典 第1045条), and two that are not what is declared.
RELATIVES = (
    Relation(2, 4, 0, "12", "eligible"),  # wife
    Relation(5, 7, 0, "12", "eligible"),  # wife
    Relation(5, 2, 0, "51", "eligible"),  # father
    Relation(5, 4, 0, "52", "eligible"),  # mother
    Relation(2, 5, 0, "20", "eligible"),  # son
    Relation(2, 6, 0, "30", "eligible"),  # daughter
    Relation(5, 6, 0, "77", "eligible"),  # younger sister
    Relation(2, 3, 0, "77", "eligible"),  # younger sister
    Relation(5, 0, 0, "61", "eligible"),  # paternal grandfather
    Relation(5, 1, 0, "62", "eligible"),  # paternal grandmother
    Relation(5, 0, 1, "63", "eligible"),  # maternal grandfather (the mother's father, next block)
    Relation(2, 8, 0, "41", "eligible"),  # son's son
    Relation(2, 9, 0, "42", "eligible"),  # son's daughter
)
UNVERIFIABLE = Relation(2, 7, 0, "30", "needs_evidence")  # a daughter-in-law declared as a daughter
MISMATCHED = Relation(5, 1, 1, "62", "refused")  # maternal grandmother declared as paternal


@dataclass(frozen=True)
class BenchRegion:
    province_code: str
    region_code: str
    card_letter: str
    label: str

    def region_id(self) -> int | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM accounts_poolingregion WHERE code = %s", [self.region_code])
            row = cursor.fetchone()
        return int(row[0]) if row else None


def _exec(sql: str, params: Iterable[object] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def require_reference_data() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_relationcode")
        if cursor.fetchone()[0] == 0:
            sys.exit("no relation codes: run `manage.py migrate` and `manage.py load_reference_data` first")


def refuse_collisions(bench: BenchRegion) -> None:
    """Stops if cards of the bench's letter exist outside its region (they would collide)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_person AS p JOIN accounts_poolingregion AS r ON r.id = p.region_id "
            "WHERE p.card_number LIKE %s AND r.code <> %s",
            [f"{bench.card_letter}%", bench.region_code],
        )
        if cursor.fetchone()[0]:
            sys.exit(
                f"persons with {bench.card_letter} cards exist outside the bench region: refusing to run"
            )


def create_region(bench: BenchRegion) -> int:
    _exec(
        "INSERT INTO accounts_province (code, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        [bench.province_code, f"基准测试{bench.label}"],
    )
    _exec(
        "INSERT INTO accounts_poolingregion (code, province_id, name, level, sms_sign_in_allowed) "
        "VALUES (%s, %s, %s, 'prefecture', true) ON CONFLICT (code) DO NOTHING",
        [bench.region_code, bench.province_code, f"基准测试区{bench.label}"],
    )
    region_id = bench.region_id()
    assert region_id is not None
    # Every relation of 民法典 第1045条 is in scope: the benchmark measures the whole check.
    _exec(
        "INSERT INTO family_sharing_policyversion (region_id, scope, effective_from, note, created_at) "
        "VALUES (%s, 'near_relatives', '2020-01-01', 'benchmark', now()) ON CONFLICT DO NOTHING",
        [region_id],
    )
    return region_id


def generate(bench: BenchRegion, *, persons: int, edges: int) -> int:
    """Inserts `persons` persons (whole blocks) and the first `edges` edges; returns the blocks."""
    blocks = persons // 10
    if blocks < 6:
        sys.exit("--persons must be at least 60 (six family blocks)")
    if edges > blocks * EDGES_PER_BLOCK:
        sys.exit(f"--edges can be at most 2 x --persons ({blocks * EDGES_PER_BLOCK})")
    region_id = create_region(bench)
    placeholder = crypto.encrypt("000000000000000000")
    roles = ", ".join(f"({r}, {year}, '{sex}', '{kind}')" for r, (year, sex, kind) in enumerate(ROLES))
    with transaction.atomic():
        _exec(
            f"""
            INSERT INTO accounts_person (name, id_number, id_hash, card_number, phone, phone_hash, sex,
                   birth_date, region_id, insurance_type, status, is_pensioner, last_certified_on,
                   created_at, updated_at)
            SELECT (ARRAY['王','李','张','刘','陈','杨','黄','赵'])[n %% 8 + 1]
                   || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋'])[(n / 8) %% 10 + 1],
                   %s, encode(sha256(convert_to('bench-{bench.region_code}-' || n, 'UTF8')), 'hex'),
                   %s || lpad(n::text, 8, '0'), '', '', r.sex,
                   make_date(r.year, 1, 1) + ((n / 10) %% 360)::int, %s, r.kind, 'normal', false, NULL,
                   now(), now()
              FROM generate_series(0, %s - 1) AS n
              JOIN (VALUES {roles}) AS r(role, year, sex, kind) ON r.role = n %% 10
             ORDER BY n
            """,  # noqa: S608 (constants of this module)
            [placeholder, bench.card_letter, region_id, blocks * 10],
        )
        _exec("DROP TABLE IF EXISTS pg_temp.bench_ids")
        _exec(
            "CREATE TEMP TABLE bench_ids AS SELECT substr(card_number, 2)::int AS n, id "
            "FROM accounts_person WHERE region_id = %s",
            [region_id],
        )
        _exec("ALTER TABLE bench_ids ADD PRIMARY KEY (n)")
        template = ", ".join(
            "({}, '{}', {}, {}, {}, {}, '{}', {}, {})".format(
                seq,
                kind,
                a_role,
                a_off,
                b_role,
                b_off,
                parent_kind,
                f"'{valid_from}'::date" if valid_from else "NULL::date",
                f"'{valid_to}'::date" if valid_to else "NULL::date",
            )
            for seq, kind, a_role, a_off, b_role, b_off, parent_kind, valid_from, valid_to in EDGE_TEMPLATE
        )
        _exec(
            f"""
            INSERT INTO family_sharing_kinshipedge (kind, a_id, b_id, parent_kind, valid_from, valid_to,
                   source, updated_at)
            SELECT t.kind,
                   CASE WHEN t.kind = 'spouse' THEN LEAST(ia.id, ib.id) ELSE ia.id END,
                   CASE WHEN t.kind = 'spouse' THEN GREATEST(ia.id, ib.id) ELSE ib.id END,
                   CASE WHEN t.kind = 'parent' AND k %% 97 = 0 AND t.a_role = 0 AND t.b_role = 3
                        THEN 'adoptive' ELSE t.parent_kind END,
                   t.valid_from, t.valid_to, 'bench', now()
              FROM generate_series(0, %(blocks)s - 1) AS k
             CROSS JOIN (VALUES {template})
                   AS t(seq, kind, a_role, a_off, b_role, b_off, parent_kind, valid_from, valid_to)
              JOIN bench_ids AS ia ON ia.n = ((k + t.a_off) %% %(blocks)s) * 10 + t.a_role
              JOIN bench_ids AS ib ON ib.n = ((k + t.b_off) %% %(blocks)s) * 10 + t.b_role
             ORDER BY k, t.seq
             LIMIT %(edges)s
            """,  # noqa: S608 (constants of this module)
            {"blocks": blocks, "edges": edges},
        )
    _exec("ANALYZE accounts_person")
    _exec("ANALYZE family_sharing_kinshipedge")
    return blocks


def person_ids(bench: BenchRegion, numbers: Iterable[int]) -> dict[int, int]:
    """Person n -> primary key."""
    cards = [f"{bench.card_letter}{n:08d}" for n in numbers]
    with connection.cursor() as cursor:
        cursor.execute("SELECT card_number, id FROM accounts_person WHERE card_number = ANY(%s)", [cards])
        return {int(card[1:]): pk for card, pk in cursor.fetchall()}


def pair_numbers(relation: Relation, block: int, blocks: int) -> tuple[int, int]:
    return block * 10 + relation.s_role, ((block + relation.b_off) % blocks) * 10 + relation.b_role


def open_accounts(person_pks: Iterable[int]) -> None:
    """An empty personal account (balance 0, so it equals its no entries) for each sharer."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_personalaccount (person_id, balance_fen, created_at, updated_at) "
            "SELECT unnest(%s::bigint[]), 0, now(), now() ON CONFLICT (person_id) DO NOTHING",
            [list(person_pks)],
        )


def realise_numbers(person_pks: Iterable[int]) -> dict[int, str]:
    """Gives each of these persons a real, valid identity number that matches their birth date and
    sex (address 110101), stored as the application stores it (ciphertext and keyed hash); returns
    pk -> number. Numbers already held by another person are skipped over."""
    from stdnum.cn import ric

    pks = list(person_pks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, sex, birth_date FROM accounts_person WHERE id = ANY(%s)", [pks])
        facts = cursor.fetchall()
        numbers: dict[int, str] = {}
        order: dict[tuple[dt.date, str], int] = {}
        for pk, sex, born in facts:
            while True:
                serial = order.get((born, sex), 0)
                order[(born, sex)] = serial + 1
                body = f"110101{born:%Y%m%d}{serial * 2 + (1 if sex == 'male' else 0):03d}"
                number = body + ric.calc_check_digit(body + "0")
                cursor.execute(
                    "SELECT 1 FROM accounts_person WHERE id_hash = %s", [crypto.lookup_hash(number)]
                )
                if cursor.fetchone() is None:
                    break
            numbers[pk] = number
        cursor.executemany(
            "UPDATE accounts_person SET id_number = %s, id_hash = %s WHERE id = %s",
            [(crypto.encrypt(n), crypto.lookup_hash(n), pk) for pk, n in numbers.items()],
        )
    return numbers


def cleanup(bench: BenchRegion) -> None:
    """Deletes everything the bench created, children first (plain SQL: the ORM's cascade would
    visit every table that references persons, one query per row)."""
    region_id = bench.region_id()
    if region_id is not None:
        # Joins, not `IN (subquery) OR IN (subquery)`: a million ids do not fit a hashed subplan, and
        # an unhashed one is scanned once per row.
        with transaction.atomic():
            _exec("SET LOCAL work_mem = '256MB'")
            for sql in (
                "DELETE FROM knox_authtoken AS t USING accounts_user AS u, accounts_person AS p "
                "WHERE t.user_id = u.id AND u.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_user AS u USING accounts_person AS p "
                "WHERE u.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_bindingevent AS ev USING family_sharing_binding AS b "
                "JOIN accounts_person AS p ON p.id = b.sharer_id AND p.region_id = %(r)s "
                "WHERE ev.binding_id = b.id",
                "DELETE FROM family_sharing_bindingevent AS ev USING family_sharing_binding AS b "
                "JOIN accounts_person AS p ON p.id = b.beneficiary_id AND p.region_id = %(r)s "
                "WHERE ev.binding_id = b.id",
                "DELETE FROM family_sharing_binding AS b USING accounts_person AS p "
                "WHERE b.sharer_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_binding AS b USING accounts_person AS p "
                "WHERE b.beneficiary_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_message AS m USING accounts_person AS p "
                "WHERE m.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_statuschange AS c USING accounts_person AS p "
                "WHERE c.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_contribution AS c USING accounts_person AS p "
                "WHERE c.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_personalaccount AS a USING accounts_person AS p "
                "WHERE a.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_kinshipedge AS e USING accounts_person AS p "
                "WHERE e.a_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_kinshipedge AS e USING accounts_person AS p "
                "WHERE e.b_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM family_sharing_policyversion WHERE region_id = %(r)s",
                "DELETE FROM accounts_person WHERE region_id = %(r)s",
                "DELETE FROM accounts_poolingregion WHERE id = %(r)s",
            ):
                _exec(sql, {"r": region_id})
    _exec("DELETE FROM accounts_province WHERE code = %s", [bench.province_code])
