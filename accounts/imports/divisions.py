"""Prefecture-level divisions (地级行政区) from python-stdnum's maintained division-code table
`stdnum/cn/loc.dat` (docs/decisions/0003-reference-dates.md).

An entry reads `county="[1983-]秦皇岛市"` or `county="[-1991]东郊区,[1992-]东丽区"`: each part is a
name with the years it was in use; a part without an end year is the current name, and an entry
whose every part has an end year is historical. A prefecture code is XXYY00 with YY != 00."""

import re
from dataclasses import dataclass

from stdnum import numdb

# The four municipalities directly under the central government: one pooling region each.
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
# Codes that group counties without being a division: 市辖区, 县, 省直辖县级行政单位,
# 自治区直辖县级行政区划, and 林区 (the old grouping code of 神农架林区, now 429021).
NOT_DIVISIONS = frozenset({"市辖区", "县", "林区"})
_PART = re.compile(r"^(?:\[(\d*)-(\d*)\])?(.+)$")


@dataclass(frozen=True)
class Division:
    code: str
    name: str


def current_name(entry: str) -> str | None:
    """The name in use today, or None for a historical entry."""
    for part in entry.split(","):
        match = _PART.match(part.strip())
        if match is not None and not match.group(2):
            return match.group(3)
    return None


def is_division(name: str) -> bool:
    return name not in NOT_DIVISIONS and "直辖" not in name


def prefectures(province_code: str) -> list[Division]:
    """The current prefecture-level divisions of one province (code XX0000), in code order."""
    table = numdb.get("cn/loc")
    prefix = province_code[:2]
    found: list[Division] = []
    for yy in range(1, 100):
        code = f"{prefix}{yy:02d}00"
        entry = next((props.get("county") for part, props in table.info(code)[1:] if props), None)
        if entry is None:
            continue
        name = current_name(entry)
        if name is not None and is_division(name):
            found.append(Division(code, name))
    return found
