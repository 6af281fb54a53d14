"""The family-sharing changes that need a second officer (maker-checker, DESIGN.md section 6): a
registry edge added, changed or ended, and binding evidence approved. Registered with accounts'
change requests in FamilySharingConfig.ready(); `import_kinship` and the bureau's scripts keep
writing edges directly."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from accounts.change_requests.models import ChangeRequest
from accounts.change_requests.registry import ChangeKind, Subject, Values, change_kind_register
from accounts.models import Person, User
from family_sharing.errors import SharingError
from family_sharing.models import Evidence, EvidenceReview, KinshipEdge
from family_sharing.services import binding_evidence_review
from portal.core.errors import CONFLICT, INVALID, ApplicationError, Reason

EDGE_ADD = "kinship_edge_add"
EDGE_CHANGE = "kinship_edge_change"
EDGE_END = "kinship_edge_end"
EVIDENCE_APPROVE = "evidence_approve"

EDGE_FIELDS = ("kind", "a", "b", "parent_kind", "valid_from", "valid_to", "source")
_DATES = ("valid_from", "valid_to")
_PERSONS = ("a", "b")


def edge_values(edge: KinshipEdge, names: Any = EDGE_FIELDS) -> Values:
    """An edge's fields as JSON-native values: persons by id, dates as ISO text."""
    values: Values = {}
    for name in names:
        value = getattr(edge, f"{name}_id") if name in _PERSONS else getattr(edge, name)
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def _set(edge: KinshipEdge, values: Values) -> None:
    for name, value in values.items():
        if name in _PERSONS:
            setattr(edge, f"{name}_id", int(value))
        elif name in _DATES:
            setattr(edge, name, dt.date.fromisoformat(value) if value else None)
        else:
            setattr(edge, name, value)


def _checked(edge: KinshipEdge) -> None:
    """The edge as the database will take it (shape, dates, one parent edge per pair, ...)."""
    try:
        edge.full_clean()
    except ValidationError as error:
        reasons = [
            Reason(SharingError.EDGE_INVALID.value, f"{SharingError.EDGE_INVALID.message}：{message}", field)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
        raise ApplicationError(INVALID, reasons) from error


def _label(edge: KinshipEdge) -> str:
    a = Person.objects.filter(pk=edge.a_id).first()
    b = Person.objects.filter(pk=edge.b_id).first()
    return f"{edge.get_kind_display()} {a or '—'} — {b or '—'}"


def _regions(edge: KinshipEdge) -> frozenset[int]:
    return frozenset(Person.objects.filter(pk__in=[edge.a_id, edge.b_id]).values_list("region_id", flat=True))


def _edge_add_subject(target: Model | None, after: Values) -> Subject:
    edge = KinshipEdge()
    _set(edge, {name: after.get(name) for name in EDGE_FIELDS if name in after})
    _checked(edge)
    clean = edge_values(edge)
    return Subject(
        key=f"family_sharing.kinshipedge:new:{edge.kind}:{edge.a_id}:{edge.b_id}",
        regions=_regions(edge),
        label=_label(edge),
        before={},
        after=clean,
    )


def _edge_change_subject(target: Model | None, after: Values) -> Subject:
    if not isinstance(target, KinshipEdge):
        raise TypeError("an edge change names the edge")
    names = [name for name in EDGE_FIELDS if name in after]
    changed = KinshipEdge.objects.get(pk=target.pk)
    _set(changed, {name: after[name] for name in names})
    _checked(changed)
    return Subject(
        key=f"family_sharing.kinshipedge:{target.pk}",
        regions=_regions(target) | _regions(changed),
        label=_label(target),
        before=edge_values(target, names),
        after=edge_values(changed, names),
    )


def _edge_end_subject(target: Model | None, after: Values) -> Subject:
    if set(after) != {"valid_to"} or not after["valid_to"]:
        raise ApplicationError(
            INVALID, [Reason(SharingError.EDGE_INVALID.value, "请填写终止日期", "valid_to")]
        )
    return _edge_change_subject(target, after)


def _edge_load(key: str) -> KinshipEdge | None:
    ident = key.split(":", 1)[1]
    return None if ident.startswith("new:") else KinshipEdge.objects.select_for_update().get(pk=int(ident))


def _edge_apply(target: Model | None, request: ChangeRequest, checker: User) -> None:
    edge = target if isinstance(target, KinshipEdge) else KinshipEdge()
    _set(edge, request.after)
    _checked(edge)
    edge.save()


def _evidence(target: Model | None) -> Evidence:
    if not isinstance(target, Evidence):
        raise TypeError("an evidence approval names the evidence")
    return target


def _evidence_subject(target: Model | None, after: Values) -> Subject:
    evidence = _evidence(target)
    if evidence.review != EvidenceReview.PENDING:
        raise ApplicationError.of(CONFLICT, SharingError.INVALID_TRANSITION)
    binding = evidence.binding
    return Subject(
        key=f"family_sharing.evidence:{evidence.pk}",
        regions=frozenset({binding.sharer.region_id, binding.beneficiary.region_id}),
        label=str(binding),
        before={"review": evidence.review},
        after={"review": EvidenceReview.APPROVED.value},
    )


def _evidence_load(key: str) -> Evidence:
    return (
        Evidence.objects.select_for_update()
        .select_related("binding__sharer", "binding__beneficiary")
        .get(pk=key.split(":", 1)[1])
    )


def _evidence_apply(target: Model | None, request: ChangeRequest, checker: User) -> None:
    binding_evidence_review(actor=checker, evidence=_evidence(target), approve=True)


def register() -> None:
    edge_fields = {
        "kind": _("类型"),
        "a": _("甲方（父母）"),
        "b": _("乙方（子女）"),
        "parent_kind": _("亲子关系类型"),
        "valid_from": _("起始日期"),
        "valid_to": _("终止日期"),
        "source": _("来源"),
    }
    for code, label, subject in [
        (EDGE_ADD, _("亲属关系登记新增"), _edge_add_subject),
        (EDGE_CHANGE, _("亲属关系登记修改"), _edge_change_subject),
        (EDGE_END, _("亲属关系登记终止"), _edge_end_subject),
    ]:
        change_kind_register(
            ChangeKind(
                code=code,
                label=label,
                fields=edge_fields,
                subject=subject,
                load=_edge_load,
                apply=_edge_apply,
                masks={"a": _person_shown, "b": _person_shown},
            )
        )
    change_kind_register(
        ChangeKind(
            code=EVIDENCE_APPROVE,
            label=_("证明材料审核通过"),
            fields={"review": _("审核")},
            subject=_evidence_subject,
            load=_evidence_load,
            apply=_evidence_apply,
            masks={"review": lambda value: str(EvidenceReview(value).label)},
        )
    )


def _person_shown(person_id: Any) -> str:
    """A person in the before/after table: masked name and card, as the admin lists them."""
    person = Person.objects.filter(pk=person_id).first()
    return str(person) if person is not None else str(person_id)
