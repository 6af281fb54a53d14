"""The kinds of change accounts owns: a person's identity fields (name, identity number, card) and
the phone on file. Registered in AccountsConfig.ready()."""

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from accounts.change_requests.models import ChangeRequest
from accounts.change_requests.registry import ChangeKind, Subject, Values, change_kind_register
from accounts.enrolment import person_phone_change
from accounts.errors import AccountsError
from accounts.identity import CARD_SHAPE, PHONE_SHAPE, name_problem, normalize_card_number, parse_id_number
from accounts.models import Person, User
from portal.core import crypto
from portal.core.errors import CONFLICT, INVALID, ApplicationError, Reason
from portal.core.masking import mask_card, mask_id_number, mask_name, mask_phone

PERSON_IDENTITY = "person_identity"
PERSON_PHONE = "person_phone"
IDENTITY_FIELDS = ("name", "id_number", "card_number")


def _person(target: Model | None) -> Person:
    if not isinstance(target, Person):
        raise TypeError("a person's change names the person")
    return target


def _load_person(key: str) -> Person:
    return Person.objects.select_for_update().get(pk=int(key.rsplit(":", 1)[1]))


def _identity_after(person: Person, after: Values) -> Values:
    """`after` checked: each field in shape, the identity and card numbers nobody else's."""
    unknown = set(after) - set(IDENTITY_FIELDS)
    if unknown:
        raise ValueError(f"not identity fields: {sorted(unknown)}")
    clean: Values = {}
    problems: list[Reason] = []
    conflicts: list[Reason] = []
    others = Person.objects.exclude(pk=person.pk)
    if "name" in after:
        clean["name"] = str(after["name"]).strip()
        if (problem := name_problem(clean["name"])) is not None:
            problems.append(problem.reason("name"))
    if "id_number" in after:
        try:
            clean["id_number"] = parse_id_number(str(after["id_number"])).number
        except ApplicationError as error:
            problems += error.details
        else:
            if others.filter(id_hash=crypto.lookup_hash(clean["id_number"])).exists():
                conflicts.append(
                    Reason("duplicate_id_number", "该身份证号已登记在另一参保人名下", "id_number")
                )
    if "card_number" in after:
        clean["card_number"] = normalize_card_number(str(after["card_number"]))
        if not CARD_SHAPE.match(clean["card_number"]):
            problems.append(AccountsError.CARD_NUMBER_FORMAT.reason("card_number"))
        elif others.filter(card_number=clean["card_number"]).exists():
            conflicts.append(AccountsError.DUPLICATE_CARD_NUMBER.reason("card_number"))
    if problems:
        raise ApplicationError(INVALID, problems)
    if conflicts:
        raise ApplicationError(CONFLICT, conflicts)
    return clean


def _identity_subject(target: Model | None, after: Values) -> Subject:
    person = _person(target)
    clean = _identity_after(person, after)
    return Subject(
        key=f"accounts.person:{person.pk}",
        regions=frozenset({person.region_id}),
        label=str(person),
        before={name: getattr(person, name) for name in clean},
        after=clean,
    )


def _identity_apply(target: Model | None, request: ChangeRequest, checker: User) -> None:
    person = _person(target)
    after = request.after
    for name, value in after.items():
        setattr(person, name, value)
    update = [*after, "updated_at"]
    if "id_number" in after:
        number = parse_id_number(after["id_number"])
        person.id_hash, person.birth_date, person.sex = (
            crypto.lookup_hash(number.number),
            number.birth_date,
            number.sex,
        )
        update += ["id_hash", "birth_date", "sex"]
    person._change_reason = f"变更申请复核生效：{request.reason}"  # type: ignore[attr-defined]  # simple-history
    person.save(update_fields=update)


def _phone_subject(target: Model | None, after: Values) -> Subject:
    person = _person(target)
    phone = str(after.get("phone", "")).strip().replace(" ", "").replace("-", "")
    if not PHONE_SHAPE.match(phone):
        raise ApplicationError.of(INVALID, AccountsError.PHONE_FORMAT, field="new_phone")
    if phone == person.phone:
        raise ApplicationError.of(INVALID, AccountsError.PHONE_UNCHANGED, field="new_phone")
    return Subject(
        key=f"accounts.person:{person.pk}",
        regions=frozenset({person.region_id}),
        label=str(person),
        before={"phone": person.phone},
        after={"phone": phone},
    )


def _phone_apply(target: Model | None, request: ChangeRequest, checker: User) -> None:
    """The maker took the request at the window: the phone-change record names them, with the
    reason they wrote; both numbers are told (person_phone_change)."""
    person_phone_change(
        staff=request.maker, person=_person(target), new_phone=request.after["phone"], reason=request.reason
    )


def register() -> None:
    change_kind_register(
        ChangeKind(
            code=PERSON_IDENTITY,
            label=_("参保人身份信息变更"),
            fields={"name": _("姓名"), "id_number": _("公民身份号码"), "card_number": _("社会保障卡号")},
            subject=_identity_subject,
            load=_load_person,
            apply=_identity_apply,
            masks={"name": mask_name, "id_number": mask_id_number, "card_number": mask_card},
        )
    )
    change_kind_register(
        ChangeKind(
            code=PERSON_PHONE,
            label=_("登记手机号变更"),
            fields={"phone": _("登记的手机号")},
            subject=_phone_subject,
            load=_load_person,
            apply=_phone_apply,
            masks={"phone": mask_phone},
        )
    )
