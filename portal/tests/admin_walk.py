"""The admin walk, generated from the admin registry and the URL resolver (not a hand list): every URL
pattern of `admin.site.get_urls()` is filled with objects of another region (B) and opened as a
bureau officer of region A, who must get 404/403/405 or a redirect away, never another region's
record; a list may answer 200 only when it shows none of B's rows. No page may hold a name, full
identity number, full card number or phone of B's persons, and no POST (change, delete, history
form, actions, custom views, add with B's persons in it) may change anything. A new admin page is
walked without anyone writing a test for it; a URL pattern the walk cannot fill fails it, with the
pattern named. The test itself is portal/tests/test_admin_walk.py."""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.utils import timezone

from portal.admin_helpers import ReferenceDataAdmin

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
B_NAMES = ("欧阳乙丙", "欧阳丁戊", "欧阳庚辛")
# Parameters naming the admin's own object. `<model>_id` names region B's object of that model
# (`person_id`: the person); any other parameter must be taught to `_model_requests`.
OBJECT_PARAMS = {"object_id", "pk", "id", "visit_id"}
NOT_SHOWN = {301, 302, 403, 404, 405}


@dataclass
class RegionB:
    """A complete set of records in region B: one object per registered model, and the rest a URL
    may name (a case step, uploaded documents)."""

    objects: dict[type[Model], Model]
    step: Model
    documents: dict[type[Model], Model]
    secrets: list[str]
    number: str  # a B person's identity number, typed into every look-up form


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def build_region_b():  # -> RegionB (unannotated: factory_boy types its instances as factories)
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from knox.models import AuthToken

    from accounts.change_requests.kinds import PERSON_PHONE
    from accounts.change_requests.services import request_create
    from accounts.delegations.models import Delegation, DelegationAct, DelegationDocument
    from accounts.imports.reference import relation_codes_load
    from accounts.models import AccountEntry, Employer, PersonViewLog, RelationCode
    from accounts.tests.factories import (
        AccountFactory,
        InstitutionFactory,
        PersonFactory,
        ProvinceFactory,
        RegionFactory,
        ResidentFactory,
        StaffFactory,
    )
    from certification.models import (
        Certification,
        HomeVisit,
        HomeVisitDocument,
        PaymentEvent,
        PensionPayment,
    )
    from family_sharing.contributions.models import ArrearsCase, ArrearsCaseStep, StatusChange
    from family_sharing.models import Binding, Evidence
    from family_sharing.settlement.models import Reversal, Settlement
    from family_sharing.suggestions.models import SuggestionListing
    from family_sharing.tests.factories import PolicyFactory, parent_edge

    with transaction.atomic():
        relation_codes_load(path=settings.BASE_DIR / "portal" / "reference" / "family_relationship_codes.csv")
    province = ProvinceFactory(code="310000", name="上海市")
    region = RegionFactory(code="310100", name="上海市", province=province)
    parent = PersonFactory(region=region, name=B_NAMES[0], birth=dt.date(1955, 3, 1), is_pensioner=True)
    adult = PersonFactory(region=region, name=B_NAMES[1], birth=dt.date(1985, 6, 1))
    child = PersonFactory(
        region=region, name=B_NAMES[2], birth=dt.date(2018, 5, 15), insurance_type="resident"
    )
    parent.status = "normal"
    parent.save()  # a second historical version, for the history form
    account = AccountFactory(person=parent)
    staff = StaffFactory(region=region)
    resident = ResidentFactory(person=adult)
    binding = Binding.objects.create(
        sharer=parent, beneficiary=adult, relation_code_id="51", status="active", channel="web"
    )
    evidence = Evidence.objects.create(
        binding=binding,
        file=_pdf("hukou.pdf"),
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=resident,
    )
    edge = parent_edge(parent, adult)
    paid = AccountEntry.objects.create(
        account=account,
        kind="family_settlement",
        amount_fen=-4200,
        balance_after_fen=95800,
        beneficiary=adult,
    )
    refund = AccountEntry.objects.create(
        account=account, kind="reversal", amount_fen=4200, balance_after_fen=100000, beneficiary=adult
    )
    settlement = Settlement.objects.create(
        binding=binding,
        scope="counter",
        staff=staff,
        category="medical_self_pay",
        amount_fen=4200,
        idempotency_key="walk-b",
        request_hash="0" * 64,
        entry=paid,
        created_at=timezone.now(),
    )
    reversal = Reversal.objects.create(settlement=settlement, reason="重复结算", staff=staff, entry=refund)
    employer = Employer.objects.create(uscc="91310000WALK00000B", name="上海某某有限公司")
    case = ArrearsCase.objects.create(
        employer=employer, region=region, opened_on=dt.date(2026, 1, 5), opened_by=staff
    )
    step = ArrearsCaseStep.objects.create(
        case=case,
        kind="opened",
        done_on=dt.date(2026, 1, 5),
        document=_pdf("order.pdf"),
        document_type="application/pdf",
    )
    visit = HomeVisit.objects.create(
        person=parent, requested_by=resident, reason="mobility", address="上海市某路1号"
    )
    visit_document = HomeVisitDocument.objects.create(
        visit=visit, file=_pdf("proof.pdf"), content_type="application/pdf", size=len(PDF)
    )
    delegation = Delegation.objects.create(
        agent=resident,
        principal=child,
        relation=RelationCode.objects.get(pk="20"),
        scopes=["view_rights"],
        status="active",
    )
    delegation_document = DelegationDocument.objects.create(
        delegation=delegation,
        kind="id_document",
        file=_pdf("id.pdf"),
        content_type="application/pdf",
        size=len(PDF),
    )
    interval = IntervalSchedule.objects.create(every=1, period="days")
    new_phone = "13987654321"  # a phone change waiting for B's second officer (maker-checker)
    change = request_create(
        kind=PERSON_PHONE, maker=staff, target=parent, after={"phone": new_phone}, reason="走查"
    )
    objects: list[Model] = [
        province,
        region,
        InstitutionFactory(region=region),
        employer,
        RelationCode.objects.get(pk="51"),
        parent,
        account,
        paid,
        PersonViewLog.objects.create(staff=staff, person=parent, surface="admin"),
        resident,
        TOTPDevice.objects.get(user=resident),
        delegation,
        DelegationAct.objects.create(
            delegation=delegation, agent=resident, principal=child, scope="view_rights", action="查看权益"
        ),
        binding,
        evidence,
        edge,
        SuggestionListing.objects.create(viewer=resident, surface="web", relatives=[parent.pk]),
        PolicyFactory(region=region),
        case,
        StatusChange.objects.create(
            person=parent,
            from_status="normal",
            to_status="arrears",
            reason="unpaid_periods",
            as_of=dt.date(2026, 1, 1),
        ),
        settlement,
        reversal,
        Certification.objects.create(
            person=parent,
            channel="app",
            method="face_blink",
            result="pass",
            reference="walk-b",
            certified_at=timezone.now(),
        ),
        PensionPayment.objects.create(person=parent, status="paying"),
        PaymentEvent.objects.create(person=parent, kind="resumed", on=dt.date(2026, 1, 6)),
        visit,
        Group.objects.create(name="上海经办"),
        AuthToken.objects.create(user=resident)[0],
        StaticDevice.objects.get(user=staff),
        AccessAttempt.objects.create(
            username=staff.username, ip_address="192.0.2.7", user_agent="walk", failures_since_start=1
        ),
        AccessLog.objects.create(username=staff.username, ip_address="192.0.2.7", user_agent="walk"),
        AccessFailureLog.objects.create(username=staff.username, ip_address="192.0.2.7", user_agent="walk"),
        interval,
        CrontabSchedule.objects.create(minute="0", hour="3"),
        SolarSchedule.objects.create(event="sunrise", latitude="31.23", longitude="121.47"),
        ClockedSchedule.objects.create(clocked_time=timezone.now()),
        PeriodicTask.objects.create(name="walk", task="portal.walk", interval=interval),
        change,
    ]
    persons = (parent, adult, child)
    secrets = [value for p in persons for value in (p.name, p.id_number, p.card_number, p.phone) if value]
    secrets.append(new_phone)
    return RegionB(
        objects={type(obj): obj for obj in objects},
        step=step,
        documents={DelegationDocument: delegation_document, HomeVisitDocument: visit_document},
        secrets=secrets,
        number=parent.id_number,
    )


@dataclass
class Request:
    """One filled URL: its pattern (for messages), the model admin it belongs to (None: site-wide),
    its kind (the URL name's suffix, or `object` for an unnamed object pattern) and the object it
    names (None for a list, an add page or a site page)."""

    url: str
    pattern: str
    model_admin: admin.ModelAdmin | None
    kind: str
    obj: Model | None
    post: dict[str, Any] = field(default_factory=dict)


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


class Unfillable(Exception):
    pass


def _substitute(pattern: str, named: dict[str, str], positional: list[str]) -> str:
    """A route (`<uuid:pk>/`) or regex (`^([^/]+)/history/([^/]+)/$`) pattern with its parameters
    replaced; a parameter without a value raises Unfillable."""
    remaining = list(positional)

    def route(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in named:
            raise Unfillable(name)
        return named[name]

    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        if name:
            if name not in named:
                raise Unfillable(name)
            return named[name]
        if not remaining:
            raise Unfillable("positional group")
        return remaining.pop(0)

    text = re.sub(r"\((?:\?P<(\w+)>)?[^()]*\)", group, pattern)
    text = re.sub(r"<(?:\w+:)?(\w+)>", route, text)
    return "/admin/" + text.replace("^", "").replace("$", "")


def _post_data(obj: Model) -> dict[str, Any]:
    """The object's own field values (foreign keys as ids), as a change or add form would post
    them, plus what the confirmation and service forms ask for."""
    data: dict[str, Any] = {"post": "yes", "reason": "走查", "note": "走查", "documents_seen": "身份证"}
    for name, value in model_to_dict(obj).items():
        if value is None or isinstance(value, FieldFile):
            data[name] = ""
        elif isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    return data


def admin_requests(region_b: RegionB) -> list[Request]:
    """Every admin URL pattern, filled with region B's objects."""
    registry = {f"{m._meta.app_label}/{m._meta.model_name}/": a for m, a in admin.site._registry.items()}
    requests: list[Request] = []
    for pattern, entry in _patterns(admin.site.get_urls()):
        prefix = next((p for p in registry if pattern.startswith(p)), None)
        try:
            if prefix is None:
                requests += _site_requests(pattern, entry, region_b)
            else:
                requests += _model_requests(pattern, entry, registry[prefix], region_b)
        except Unfillable as missing:
            raise AssertionError(
                f"The admin walk cannot fill {missing} in /admin/{pattern} ({entry.name}): teach "
                "portal/tests/admin_walk.py that parameter, or the page goes untested"
            ) from None
    return requests


def _site_requests(pattern: str, entry: URLPattern, region_b: RegionB) -> list[Request]:
    if entry.name == "view_on_site":
        return [
            Request(
                _substitute(
                    pattern,
                    {
                        "content_type_id": str(ContentType.objects.get_for_model(obj).pk),
                        "object_id": quote(str(obj.pk)),
                    },
                    [],
                ),
                pattern,
                None,
                "view_on_site",
                obj,
            )
            for obj in region_b.objects.values()
        ]
    if entry.name == "app_list":
        labels = sorted({m._meta.app_label for m in admin.site._registry})
        return [
            Request(_substitute(pattern, {"app_label": label}, []), pattern, None, "app_list", None)
            for label in labels
        ]
    if pattern.startswith("(?P<url>"):  # the catch-all: a change page without its slash, redirected
        return [
            Request(
                _substitute(
                    pattern,
                    {"url": f"{m._meta.app_label}/{m._meta.model_name}/{quote(str(obj.pk))}/change"},
                    [],
                ),
                pattern,
                None,
                "catch_all",
                obj,
            )
            for m, obj in region_b.objects.items()
            if m in admin.site._registry
        ]
    url = _substitute(pattern, {}, [])
    if entry.name == "autocomplete":
        queries = [
            f"?app_label={m._meta.app_label}&model_name={m._meta.model_name}&field_name={name}&term=欧阳"
            for m, model_admin in admin.site._registry.items()
            for name in model_admin.autocomplete_fields
        ]
        return [Request(url + query, pattern, None, "autocomplete", None) for query in ["", *queries]]
    return [Request(url, pattern, None, entry.name or "site", None)]


def _model_requests(
    pattern: str, entry: URLPattern, model_admin: admin.ModelAdmin, region_b: RegionB
) -> list[Request]:
    model = model_admin.model
    obj = region_b.objects.get(model)
    if obj is None:
        raise AssertionError(
            f"The admin walk has no region-B object of {model._meta.label} (registered with "
            f"{type(model_admin).__name__}): add one to build_region_b in portal/tests/admin_walk.py"
        )
    kind = (entry.name or "object").removeprefix(f"{model._meta.app_label}_{model._meta.model_name}_")
    names = set(re.findall(r"<(?:\w+:)?(\w+)>", pattern)) | set(re.findall(r"\(\?P<(\w+)>", pattern))
    positional = [] if "(?P<" in pattern else re.findall(r"\((?!\?)", pattern)
    named: dict[str, str] = {}
    for name in names:
        if name in OBJECT_PARAMS:
            named[name] = quote(str(obj.pk))
        elif name.endswith("_id") and (named_obj := _by_model_name(region_b, name.removesuffix("_id"))):
            named[name] = quote(str(named_obj.pk))
        elif name == "step_id":
            named[name] = str(region_b.step.pk)
        elif name == "document_id" and getattr(model_admin, "document_model", None) in region_b.documents:
            named[name] = str(region_b.documents[model_admin.document_model].pk)
    values: list[str] = []
    if positional:
        if kind != "simple_history" or len(positional) != 2:
            raise Unfillable("positional group")
        values = [quote(str(obj.pk)), str(obj.history.latest().history_id)]
    url = _substitute(pattern, named, values)
    if kind == "changelist":
        actions = [
            *(a if isinstance(a, str) else a.__name__ for a in model_admin.actions or []),
            "delete_selected",
        ]
        return [Request(url, pattern, model_admin, kind, None)] + [
            Request(
                url,
                pattern,
                model_admin,
                "action",
                obj,
                {"action": a, "_selected_action": [obj.pk], "index": "0", "post": "yes"},
            )
            for a in actions
        ]
    mentions_object = bool(names or positional)
    post = {**_post_data(obj), "number": region_b.number}
    return [Request(url, pattern, model_admin, kind, obj if mentions_object else None, post)]


def _by_model_name(region_b: RegionB, model_name: str) -> Model | None:
    return next(
        (obj for model, obj in region_b.objects.items() if model._meta.model_name == model_name), None
    )


def snapshot(region_b: RegionB) -> dict[str, Any]:
    """Everything a POST could have changed: each B object's row, every registered model's row
    count, the admin's change log, and each historical table's size."""
    state: dict[str, Any] = {"log": LogEntry.objects.count()}
    for model, obj in region_b.objects.items():
        state[f"row {model._meta.label}"] = list(model._default_manager.filter(pk=obj.pk).values())
    for model in admin.site._registry:
        state[f"count {model._meta.label}"] = model._default_manager.count()
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "model"):
            state[f"history {model._meta.label}"] = history.model.objects.count()
    return state


@dataclass
class Walk:
    pairs: int = 0
    problems: list[str] = field(default_factory=list)


def walk_as_officer(client: Client, requests: list[Request], region_b: RegionB, walk: Walk) -> None:
    """An OTP-verified officer of region A: nothing of B is shown or changed."""
    for request in requests:
        walk.pairs += 1
        if request.kind != "action":  # an action is the list's POST; the list itself is walked once
            _check_get(client, request, region_b, walk)
        if request.model_admin is None:
            continue  # site pages (index, login, logout, password change) name nothing of B
        response = client.post(request.url, request.post)
        # an add form may show back what was posted into it: that is the poster's own input
        echoed = set() if request.obj is not None else {str(v) for v in request.post.values()}
        _no_secret(request, "POST", response, region_b, walk, echoed)
        reference = isinstance(request.model_admin, ReferenceDataAdmin)
        if request.kind == "action":  # an action refused or run on no rows shows the list again
            _not_listed(request, response, region_b, walk)
        elif request.obj is not None and not reference and response.status_code not in NOT_SHOWN:
            walk.problems.append(f"POST {request.url} answered {response.status_code} for a region-B object")


def _check_get(client: Client, request: Request, region_b: RegionB, walk: Walk) -> None:
    response = client.get(request.url)
    _no_secret(request, "GET", response, region_b, walk)
    reference = isinstance(request.model_admin, ReferenceDataAdmin)
    if response.status_code in NOT_SHOWN or reference:
        return
    if request.obj is not None:
        walk.problems.append(
            f"GET {request.url} ({request.pattern}) answered {response.status_code} for a region-B object"
        )
        return
    if request.kind == "changelist":
        _not_listed(request, response, region_b, walk)


def _not_listed(request: Request, response: Any, region_b: RegionB, walk: Walk) -> None:
    assert request.model_admin is not None
    if isinstance(request.model_admin, ReferenceDataAdmin):
        return  # national reference data: every officer may look it up
    b_obj = region_b.objects[request.model_admin.model]
    if f"/{quote(str(b_obj.pk))}/change/" in _body(response):
        walk.problems.append(f"{request.url} lists a region-B {request.model_admin.model._meta.label}")


def walk_unverified(client: Client, requests: list[Request], region_b: RegionB, walk: Walk) -> None:
    """The same officer signed in with a password but no one-time code: only the login page opens."""
    for request in requests:
        walk.pairs += 1
        response = client.get(request.url)
        _no_secret(request, "GET (no OTP)", response, region_b, walk)
        if response.status_code == 200 and request.kind != "login":
            walk.problems.append(f"GET {request.url} opened without a one-time code")


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _no_secret(
    request: Request,
    method: str,
    response: Any,
    region_b: RegionB,
    walk: Walk,
    echoed: set[str] = frozenset(),
) -> None:
    body = _body(response)
    leaked = [secret for secret in region_b.secrets if secret in body and secret not in echoed]
    if leaked:
        walk.problems.append(f"{method} {request.url} ({request.pattern}) shows {leaked}")
