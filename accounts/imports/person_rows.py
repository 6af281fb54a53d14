"""Validation of one `import_persons` row, in Python, fast enough for a million rows a minute.

The rules are those of accounts.identity; only the costly parts are memoised (the birth date of an
identity number and the validity of its address code in its birth year repeat across a file), so
`IdNumberChecker.problem` gives the same answer as `id_number_problem` at a tenth of the cost."""

import datetime as dt
import re
from typing import NamedTuple

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from accounts.errors import AccountsError
from accounts.identity import CARD_SHAPE, PHONE_SHAPE, name_problem, normalize_id_number
from accounts.imports.bulk_crypto import lookup_hasher
from accounts.models import InsuranceStatus, InsuranceType
from portal.core.csvimport import CellError, parse_bool, parse_date
from portal.core.errors import ErrorCode

COLUMNS = (
    "id_number",
    "name",
    "card_number",
    "phone",
    "region_code",
    "insurance_type",
    "status",
    "balance_fen",
    "pensioner",
    "last_certified_on",
)

_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_BALANCE_SHAPE = re.compile(r"^-?[0-9]{1,18}$")  # fits a bigint
_INSURANCE_TYPES = frozenset(InsuranceType.values)
_STATUSES = frozenset(InsuranceStatus.values)
_EMPLOYEE = InsuranceType.EMPLOYEE.value
_MEMO_LIMIT = 200_000
_TRUTH = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "": False}


class IdNumberChecker:
    """`id_number_problem` with memoised birth dates and address codes (DESIGN.md section 3)."""

    def __init__(self, *, as_of: dt.date) -> None:
        self.as_of = as_of
        self._births: dict[str, dt.date | None] = {}
        self._places: dict[tuple[str, int], bool] = {}

    @staticmethod
    def normalize(raw: str) -> str:
        # ric.compact only changes non-ASCII characters beyond upper() and strip().
        return raw.upper().strip() if raw.isascii() else normalize_id_number(raw)

    def problem(self, number: str) -> AccountsError | None:
        """What is wrong with an already normalised number, in id_number_problem's order."""
        if not _ID_SHAPE.match(number):
            return AccountsError.ID_NUMBER_FORMAT
        if number[17] != ric.calc_check_digit(number):
            return AccountsError.ID_NUMBER_CHECKSUM
        born = self.birth_date(number)
        if born is None:
            return AccountsError.ID_NUMBER_BIRTH_DATE
        if not self._place_valid(number[:6], born.year):
            return AccountsError.ID_NUMBER_ADDRESS
        return None

    def birth_date(self, number: str) -> dt.date | None:
        """The encoded birth date, or None when it is no date, in the future or before 1880."""
        text = number[6:14]
        if text in self._births:
            return self._births[text]
        try:
            born: dt.date | None = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            born = None
        if born is not None and (born > self.as_of or born.year < 1880):
            born = None
        if len(self._births) < _MEMO_LIMIT:  # bounded, even for a file of made-up numbers
            self._births[text] = born
        return born

    def _place_valid(self, address: str, year: int) -> bool:
        key = (address, year)
        valid = self._places.get(key)
        if valid is None:
            try:
                ric.get_birth_place(f"{address}{year:04d}01010000")
                valid = True
            except (ValidationError, KeyError):  # KeyError: a known province with an unknown county
                valid = False
            if len(self._places) < _MEMO_LIMIT:
                self._places[key] = valid
        return valid


class IdentityMemo:
    """For files where one identity number recurs on many rows (kinship edges, monthly
    contributions): (problem, None) or (None, lookup hash) per raw cell, memoised. When the memo is
    full it starts again, so memory stays bounded (~60 MB) whatever the file's size."""

    LIMIT = 250_000

    def __init__(self, *, as_of: dt.date) -> None:
        self.ids = IdNumberChecker(as_of=as_of)
        self.lookup_hash = lookup_hasher()
        self._numbers: dict[str, tuple[AccountsError | None, str | None]] = {}

    def __call__(self, raw: str) -> tuple[AccountsError | None, str | None]:
        known = self._numbers.get(raw)
        if known is None:
            number = self.ids.normalize(raw)
            problem = self.ids.problem(number)
            known = (problem, None) if problem is not None else (None, self.lookup_hash(number))
            if len(self._numbers) >= self.LIMIT:
                self._numbers.clear()
            self._numbers[raw] = known
        return known


class PersonRow(NamedTuple):
    """One parsed row, in the staging table's column order. A field that failed validation is
    None and its reason is in `problems`."""

    line: int
    id_hash: str | None
    number: str | None  # normalised identity number: plaintext, never leaves this process
    name: str | None
    card_number: str | None
    phone: str | None  # "" when the cell is empty
    phone_hash: str | None
    sex: str | None
    birth_date: dt.date | None
    region_id: int | None
    insurance_type: str | None
    status: str | None
    is_pensioner: bool | None
    last_certified_on: dt.date | None
    balance_fen: int | None
    problems: list[ErrorCode]


class PersonRowParser:
    """Turns the cells of one row into a PersonRow; knows the regions and today's date.

    Written for speed (a million calls): local variables, one tuple per row, no exceptions on the
    good path."""

    def __init__(self, *, region_ids: dict[str, int], as_of: dt.date) -> None:
        self.region_ids = region_ids
        self.ids = IdNumberChecker(as_of=as_of)
        self.lookup_hash = lookup_hasher()

    def parse(self, line: int, cells: list[str]) -> PersonRow:
        raw_id, name, card, phone, region, kind, status, balance, pensioner, certified = cells
        problems: list[ErrorCode] = []
        normalized = raw_id.upper().strip() if raw_id.isascii() else normalize_id_number(raw_id)
        number = id_hash = sex = None
        born: dt.date | None = None
        problem = self.ids.problem(normalized)
        if problem is None:
            number = normalized
            id_hash = self.lookup_hash(normalized)
            sex = "male" if normalized[16] in "13579" else "female"
            born = self.ids.birth_date(normalized)
        else:
            problems.append(problem)
        valid_name: str | None = name
        if name_problem(name) is not None:  # refuses markup, SQL, digits: letters, 汉字, · only
            valid_name = None
            problems.append(AccountsError.NAME_INVALID)
        valid_card: str | None = card.upper()
        if not CARD_SHAPE.match(card.upper()):
            valid_card = None
            problems.append(AccountsError.CARD_NUMBER_FORMAT)
        valid_phone: str | None = phone
        phone_hash: str | None = ""
        if phone:
            if PHONE_SHAPE.match(phone):
                phone_hash = self.lookup_hash(phone)
            else:
                valid_phone = phone_hash = None
                problems.append(AccountsError.PHONE_FORMAT)
        region_id = self.region_ids.get(region)
        if region_id is None:
            problems.append(AccountsError.REGION_NOT_FOUND)
        if kind not in _INSURANCE_TYPES:
            problems.append(AccountsError.INSURANCE_TYPE_UNKNOWN)
        if status not in _STATUSES:
            problems.append(AccountsError.STATUS_UNKNOWN)
        balance_fen = _balance(balance, kind, problems)
        is_pensioner = _TRUTH.get(pensioner)
        if is_pensioner is None:
            try:
                is_pensioner = parse_bool(pensioner)
            except CellError as exc:
                problems.append(exc.code)
        last_certified_on = None
        if certified:
            try:
                last_certified_on = parse_date(certified)
            except CellError as exc:
                problems.append(exc.code)
        return PersonRow(
            line,
            id_hash,
            number,
            valid_name,
            valid_card,
            valid_phone,
            phone_hash,
            sex,
            born,
            region_id,
            kind if kind in _INSURANCE_TYPES else None,
            status if status in _STATUSES else None,
            is_pensioner,
            last_certified_on,
            balance_fen,
            problems,
        )


def _balance(text: str, kind: str, problems: list[ErrorCode]) -> int | None:
    """Only an employee has a personal account: an empty balance is 0 for them, and a balance
    given for another insurance type is refused (the file says something we cannot store)."""
    if kind == _EMPLOYEE:
        problem = _balance_shape_problem(text) if text else None
        if problem is None:
            return int(text) if text else 0
        problems.append(problem)
    elif text:
        problem = AccountsError.BALANCE_WITHOUT_ACCOUNT
        if kind not in _INSURANCE_TYPES:  # unknown type: judge the number's shape only
            problem = _balance_shape_problem(text)
        if problem is not None:
            problems.append(problem)
    return None


def _balance_shape_problem(text: str) -> AccountsError | None:
    if not _BALANCE_SHAPE.match(text):
        return AccountsError.BALANCE_NOT_INTEGER
    if text.startswith("-") and text != "-0":
        return AccountsError.BALANCE_NEGATIVE
    return None
