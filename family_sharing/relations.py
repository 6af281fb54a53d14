"""What each GB/T 4761 code says about a relation: its kin, line and the sex it implies
(DESIGN.md section 4). Generic codes accept any relation of their kin."""

from dataclasses import dataclass
from enum import StrEnum


class Kin(StrEnum):
    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"


CORE_FAMILY = frozenset({Kin.SPOUSE, Kin.PARENT, Kin.CHILD})
NEAR_RELATIVES = CORE_FAMILY | {Kin.SIBLING, Kin.GRANDPARENT, Kin.GRANDCHILD}

# Codes that name a relation of their kin without sex or line: 10, 20, 30, 40, 50, 60, 70 and the
# 'other' codes of the kins where sex is not part of the name (49, 59, 69, 79). 29 其他儿子 and
# 39 其他女儿 are still a son and a daughter.
GENERIC_CODES = frozenset({"10", "20", "30", "40", "50", "60", "70", "49", "59", "69", "79"})
MALE_CODES = frozenset(
    {"11", "21", "22", "23", "24", "25", "26", "27", "29", "41", "43", "51", "57", "61", "63", "71", "73"}
)
FEMALE_CODES = frozenset(
    {"12", "31", "32", "33", "34", "35", "36", "37", "39", "42", "44", "52", "58", "62", "64", "75", "77"}
)
ADOPTIVE_OR_STEP_CODES = frozenset({"27", "37", "57", "58"})


@dataclass(frozen=True)
class RelationFacts:
    code: str
    kin: str  # the csv's kin: spouse, child, parent, ... in_law, other, none
    line: str  # paternal, maternal, elder, younger, adoptive_or_step or ""
    near_relative: bool
    core_family: bool

    @property
    def sex(self) -> str | None:
        if self.code in MALE_CODES:
            return "male"
        if self.code in FEMALE_CODES:
            return "female"
        return None

    @property
    def is_generic(self) -> bool:
        return self.code in GENERIC_CODES


def specific_code(kin: Kin, *, male: bool, line: str = "") -> str:
    """The specific code of a derived relation (API.md section 7): what the beneficiary is to the sharer."""
    if kin is Kin.SPOUSE:
        return "11" if male else "12"
    if kin is Kin.PARENT:
        return "51" if male else "52"
    if kin is Kin.CHILD:
        return "20" if male else "30"
    if kin is Kin.SIBLING:
        elder = line == "elder"
        return ("71" if elder else "73") if male else ("75" if elder else "77")
    if kin is Kin.GRANDPARENT:
        paternal = line == "paternal"
        return ("61" if paternal else "63") if male else ("62" if paternal else "64")
    paternal = line == "paternal"
    return ("41" if paternal else "43") if male else ("42" if paternal else "44")
