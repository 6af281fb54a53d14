"""The civil-registry adapter: derive what the beneficiary is to the sharer from the two kinds of
registry edge (DESIGN.md section 4).

`TableRegistry` reads the imported `KinshipEdge` table in two queries for any number of pairs (the
edges touching the people concerned, then their spouse edges), whatever the size of the table; a live
civil-registry service replaces it by implementing `KinshipRegistry` and naming the class in
settings.KINSHIP_REGISTRY."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Q
from django.utils.module_loading import import_string

from family_sharing.models import KinshipEdge
from family_sharing.relations import Kin, specific_code

COUNTING_PARENT_KINDS = frozenset({"birth", "adoptive", "step_supported"})
# An edge with both ends' sex and birth date (TableRegistry.near_relatives).
_EDGE_COLUMNS = (
    "kind", "a_id", "b_id", "parent_kind", "valid_from", "valid_to",
    "a__sex", "a__birth_date", "b__sex", "b__birth_date",
)  # fmt: skip


@dataclass(frozen=True)
class PersonFacts:
    id: int
    sex: str
    birth_date: dt.date


@dataclass(frozen=True)
class Derived:
    """The registry's answer for one (sharer, beneficiary) pair on a date.

    kin is None when the registry records no near relation; `ended_spouse` and `unsupported_step`
    say that it does know them, and that they are no longer / not near relatives."""

    kin: Kin | None = None
    code: str | None = None
    line: str = ""
    parent_kind: str = ""
    ended_spouse: bool = False
    unsupported_step: bool = False
    twins: bool = False

    @property
    def silent(self) -> bool:
        return self.kin is None and not self.ended_spouse and not self.unsupported_step


class KinshipRegistry(Protocol):
    def derive_many(
        self, pairs: Iterable[tuple[PersonFacts, PersonFacts]], as_of: dt.date
    ) -> dict[tuple[int, int], Derived]: ...

    def near_relatives(self, person_id: int, as_of: dt.date) -> dict[int, Derived]:
        """Every near relative the registry records for the person on `as_of`, by person id, with
        the derivation (suggested relatives, DESIGN.md section 6): the same answers `derive_many`
        gives for each pair, without knowing the relatives first."""
        ...


@dataclass
class _Edges:
    parents: dict[int, dict[int, str]] = field(
        default_factory=lambda: defaultdict(dict)
    )  # child -> parent -> kind
    children: dict[int, dict[int, str]] = field(
        default_factory=lambda: defaultdict(dict)
    )  # parent -> child -> kind
    sex: dict[int, str] = field(default_factory=dict)
    spouses: dict[tuple[int, int], list[tuple[dt.date | None, dt.date | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _valid_on(valid_from: dt.date | None, valid_to: dt.date | None, day: dt.date) -> bool:
    return (valid_from is None or valid_from <= day) and (valid_to is None or valid_to >= day)


class TableRegistry:
    """Reads the imported registry table (KinshipEdge)."""

    def _load(self, pairs: list[tuple[PersonFacts, PersonFacts]]) -> _Edges:
        people = {p.id for pair in pairs for p in pair}
        edges = _Edges()
        rows = KinshipEdge.objects.filter(Q(a_id__in=people) | Q(b_id__in=people), kind="parent").values_list(
            "a_id", "b_id", "parent_kind", "a__sex", "b__sex"
        )
        for parent, child, kind, parent_sex, child_sex in rows:
            edges.parents[child][parent] = kind
            edges.children[parent][child] = kind
            edges.sex[parent], edges.sex[child] = parent_sex, child_sex
        couples = {(min(s.id, b.id), max(s.id, b.id)) for s, b in pairs}
        spouse_rows = KinshipEdge.objects.filter(kind="spouse", a_id__in=people, b_id__in=people).values_list(
            "a_id", "b_id", "valid_from", "valid_to"
        )
        for a, b, valid_from, valid_to in spouse_rows:
            if (a, b) in couples:
                edges.spouses[(a, b)].append((valid_from, valid_to))
        return edges

    def derive_many(
        self, pairs: Iterable[tuple[PersonFacts, PersonFacts]], as_of: dt.date
    ) -> dict[tuple[int, int], Derived]:
        pairs = list(pairs)
        if not pairs:
            return {}
        edges = self._load(pairs)
        return {(s.id, b.id): _derive(s, b, edges, as_of) for s, b in pairs}

    def near_relatives(self, person_id: int, as_of: dt.date) -> dict[int, Derived]:
        """Two queries whatever the size of the family: the edges touching the person (spouses,
        parents, children), then the parent edges of their parents and children (grandparents,
        siblings, grandchildren), each with both ends' sex and birth date. Those hold every edge
        `_derive` reads for a relative within two generations, so each candidate is judged exactly
        as `derive_many` judges the pair."""
        edges = _Edges()
        facts: dict[int, PersonFacts] = {}
        parents: set[int] = set()
        children: set[int] = set()

        def take(rows: Iterable[tuple[Any, ...]]) -> None:
            for kind, a, b, parent_kind, valid_from, valid_to, a_sex, a_born, b_sex, b_born in rows:
                facts[a], facts[b] = PersonFacts(a, a_sex, a_born), PersonFacts(b, b_sex, b_born)
                if kind == "parent":
                    edges.parents[b][a] = parent_kind
                    edges.children[a][b] = parent_kind
                    edges.sex[a], edges.sex[b] = a_sex, b_sex
                    if person_id in (a, b):
                        (children if a == person_id else parents).add(b if a == person_id else a)
                else:
                    edges.spouses[(a, b)].append((valid_from, valid_to))

        take(KinshipEdge.objects.filter(Q(a_id=person_id) | Q(b_id=person_id)).values_list(*_EDGE_COLUMNS))
        if parents or children:
            around = Q(b_id__in=parents) | Q(a_id__in=parents) | Q(a_id__in=children)
            take(KinshipEdge.objects.filter(around, kind="parent").values_list(*_EDGE_COLUMNS))
        me = facts.pop(person_id, None)
        if me is None:
            return {}
        judged = {pk: _derive(me, other, edges, as_of) for pk, other in facts.items()}
        return {pk: derived for pk, derived in judged.items() if derived.kin is not None}


def _counting(links: dict[int, str]) -> set[int]:
    return {other for other, kind in links.items() if kind in COUNTING_PARENT_KINDS}


def _derive(s: PersonFacts, b: PersonFacts, edges: _Edges, as_of: dt.date) -> Derived:
    male = b.sex == "male"
    spans = edges.spouses.get((min(s.id, b.id), max(s.id, b.id)), [])
    if any(_valid_on(f, t, as_of) for f, t in spans):
        return Derived(Kin.SPOUSE, specific_code(Kin.SPOUSE, male=male))
    s_parents, b_parents = edges.parents.get(s.id, {}), edges.parents.get(b.id, {})
    s_children = edges.children.get(s.id, {})
    if s_parents.get(b.id) in COUNTING_PARENT_KINDS:
        return Derived(Kin.PARENT, specific_code(Kin.PARENT, male=male), parent_kind=s_parents[b.id])
    if s_children.get(b.id) in COUNTING_PARENT_KINDS:
        return Derived(Kin.CHILD, specific_code(Kin.CHILD, male=male), parent_kind=s_children[b.id])
    if _counting(s_parents) & _counting(b_parents):
        line = "elder" if b.birth_date < s.birth_date else "younger"
        return Derived(
            Kin.SIBLING,
            specific_code(Kin.SIBLING, male=male, line=line),
            line=line,
            twins=b.birth_date == s.birth_date,
        )
    via = _counting(s_parents) & _counting(edges.children.get(b.id, {}))
    if via:
        line = "paternal" if any(edges.sex.get(x) == "male" for x in via) else "maternal"
        return Derived(Kin.GRANDPARENT, specific_code(Kin.GRANDPARENT, male=male, line=line), line=line)
    via = _counting(s_children) & _counting(b_parents)
    if via:
        line = "paternal" if any(edges.sex.get(x) == "male" for x in via) else "maternal"
        return Derived(Kin.GRANDCHILD, specific_code(Kin.GRANDCHILD, male=male, line=line), line=line)
    step = s_parents.get(b.id) == "step" or s_children.get(b.id) == "step"
    return Derived(ended_spouse=bool(spans), unsupported_step=step)


@cache
def kinship_registry() -> KinshipRegistry:
    path = getattr(settings, "KINSHIP_REGISTRY", "family_sharing.registry.TableRegistry")
    registry: KinshipRegistry = import_string(path)()
    return registry
