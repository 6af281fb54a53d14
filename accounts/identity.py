"""Resident identity numbers (GB 11643) checked with python-stdnum, each failure named."""

import datetime as dt
import re
from dataclasses import dataclass

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from accounts.errors import AccountsError
from portal.core.errors import INVALID, ApplicationError
from portal.core.time import today

_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
CARD_SHAPE = re.compile(r"^[A-Z][0-9]{8}$")
PHONE_SHAPE = re.compile(r"^1[0-9]{10}$")
NAME_SHAPE = re.compile(r"^[\u3400-\u9fffA-Za-z·• ]{1,50}$")


@dataclass(frozen=True)
class IdentityNumber:
    number: str
    birth_date: dt.date
    sex: str  # "male" | "female"


def normalize_id_number(raw: str) -> str:
    """Accepts a lower-case x and surrounding spaces (API.md section 1)."""
    return ric.compact(raw or "")


def id_number_problem(raw: str, *, as_of: dt.date | None = None) -> AccountsError | None:
    """The one thing wrong with an identity number, or None. Cheap enough for a million rows."""
    number = normalize_id_number(raw)
    if not _SHAPE.match(number):
        return AccountsError.ID_NUMBER_FORMAT
    try:
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum()
        born = ric.get_birth_date(number)
    except InvalidChecksum:
        return AccountsError.ID_NUMBER_CHECKSUM
    except (InvalidComponent, ValueError):
        return AccountsError.ID_NUMBER_BIRTH_DATE
    if born > (as_of or today()) or born.year < 1880:
        return AccountsError.ID_NUMBER_BIRTH_DATE
    try:
        ric.get_birth_place(number)
    except (ValidationError, KeyError):  # stdnum raises KeyError for a known province, unknown county
        return AccountsError.ID_NUMBER_ADDRESS
    return None


def parse_id_number(raw: str, *, field: str = "id_number") -> IdentityNumber:
    """Validated identity number with the birth date and sex it encodes; raises 400 otherwise."""
    problem = id_number_problem(raw)
    if problem is not None:
        raise ApplicationError.of(INVALID, problem, field=field)
    number = normalize_id_number(raw)
    return IdentityNumber(number, ric.get_birth_date(number), sex_of(number))


def sex_of(number: str) -> str:
    """The 17th digit: odd is male, even is female."""
    return "male" if int(number[16]) % 2 else "female"


def name_problem(name: str) -> AccountsError | None:
    return None if NAME_SHAPE.match(name or "") and name.strip() == name else AccountsError.NAME_INVALID


def normalize_card_number(raw: str) -> str:
    return (raw or "").strip().upper()
