"""Demo regions, persons, families, staff and logins for the first run (`seed_demo`).

Everything goes through the same paths as real data: the import commands for persons and
institutions, the staff service for staff. Running it again changes nothing. It refuses to run under
production settings (DEMO_DATA_ALLOWED is False there): every demo login shares one authenticator key
that is printed and published."""

import base64
import csv
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric, uscc

from accounts.imports.institutions import COLUMNS as INSTITUTION_COLUMNS
from accounts.imports.person_rows import COLUMNS as PERSON_COLUMNS
from accounts.models import Employer, Role, User
from accounts.selectors import person_get_by_id_number
from accounts.services import staff_create
from family_sharing.contributions.imports import COLUMNS as CONTRIBUTION_COLUMNS
from family_sharing.imports.kinship import COLUMNS as KINSHIP_COLUMNS
from portal.core.errors import FORBIDDEN, ApplicationError, ErrorCode
from portal.core.time import add_months, today

# One authenticator secret for every demo login (20 bytes, shown in base32 when the portal starts).
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_RESIDENT_PASSWORD = "Demo-Resident-2026"  # noqa: S105  (demo data, printed at start)
DEMO_STATIC_TOKENS = ["246810", "135791", "112233", "445566", "778899"]


def _number(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


# name, identity number body, card, phone, region, insurance type, balance (fen), pensioner
DEMO_PERSONS = [
    ("张建国", _number("11010519650312001"), "B10000001", "13800000001", "110100", "employee", 325_000, "no"),
    ("李秀英", _number("11010519670805002"), "B10000002", "13800000002", "110100", "employee", 118_000, "no"),
    ("张伟", _number("11010519920101003"), "B10000003", "13800000003", "110100", "employee", 56_000, "no"),
    ("张丽", _number("11010519950620004"), "B10000004", "13800000004", "110100", "resident", None, "no"),
    (
        "张德福",
        _number("11010519380214005"),
        "B10000005",
        "13800000005",
        "110100",
        "employee",
        890_000,
        "yes",
    ),
    ("王桂兰", _number("11010519400903006"), "B10000006", "13800000006", "110100", "resident", None, "no"),
    ("张小宝", _number("11010520180515007"), "B10000007", "", "110100", "resident", None, "no"),
    ("陈明", _number("31010419800707001"), "C20000001", "13900000001", "310100", "employee", 42_000, "no"),
]
DEMO_RESIDENT_LOGINS = ["张建国", "李秀英", "张德福", "陈明"]
# The registry's view of the 张 family: kind, a, b, parent_kind, valid_from (names stand for numbers).
DEMO_KINSHIP = [
    ("spouse", "张建国", "李秀英", "", "1990-05-01"),
    ("parent", "张德福", "张建国", "birth", ""),
    ("parent", "王桂兰", "张建国", "birth", ""),
    ("parent", "张建国", "张伟", "birth", ""),
    ("parent", "李秀英", "张伟", "birth", ""),
    ("parent", "张建国", "张丽", "birth", ""),
    ("parent", "李秀英", "张丽", "birth", ""),
    ("parent", "张伟", "张小宝", "birth", ""),
]
# Demo bindings: 张建国 pays for his father (active once the father consents and the registry
# confirms it) and has asked to pay for his mother (waiting for her consent).
DEMO_BINDINGS = [("张建国", "张德福", "51", True), ("张建国", "王桂兰", "52", False)]
DEMO_INSTITUTIONS = [
    ("H11010001", "北京市第一人民医院", "110100", "hospital"),
    ("P11010001", "北京市惠民大药房", "110100", "pharmacy"),
]
# What the core system credits monthly (划入) to the demo accounts, in fen (decision record 0013).
DEMO_MONTHLY_CREDITS = {"张建国": 26_000, "李秀英": 18_000, "张伟": 12_000, "张德福": 0, "陈明": 15_000}
# A family payment to show on /account/: the demo hospital settled 张德福's self-paid cost from his
# son 张建国's account (the same idempotency key every run, so it is made once).
DEMO_SETTLEMENT = ("张建国", "张德福", 8_650, "demo-first-settlement")
# Contributions of the months before this one (API.md section 5 import_contributions). 张建国 and
# 陈明 are paid in full; 李秀英's employer paid only part of the month two months ago (so 我的 shows
# 欠费, and the bureau has an open arrears case against it); 张伟 has nothing declared for the last
# three months (中断); 张德福 is a pensioner (正常). Employer key -> (USCC body, name).
DEMO_EMPLOYERS = {
    "huaxia": ("91110105MA01A2B3C", "北京华夏机械有限公司"),
    "kangning": ("91110108MA04D5E6F", "北京康宁商贸有限公司"),
    "pujiang": ("91310104MA1F7G8H9", "上海浦江信息技术有限公司"),
}
# name, employer, months before this one that are declared, month (before this one) paid in part
DEMO_CONTRIBUTIONS = [
    ("张建国", "huaxia", range(1, 7), None),
    ("李秀英", "kangning", range(1, 7), 2),
    ("张伟", "huaxia", range(4, 10), None),
    ("张德福", "huaxia", range(130, 134), None),  # before retirement
    ("陈明", "pujiang", range(1, 7), None),
]
DEMO_CASE_EMPLOYER = "kangning"
DEMO_STAFF = [
    ("bureau_demo", "bureau", "110100", None),
    ("hospital_demo", "hospital", None, "H11010001"),
    ("pharmacy_demo", "pharmacy", None, "P11010001"),
]


@dataclass(frozen=True)
class DemoLogin:
    who: str
    login: str
    password: str


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def _uscc(key: str) -> str:
    body = DEMO_EMPLOYERS[key][0]
    return body + uscc.calc_check_digit(body)


def _stored_status(number: str) -> str:
    """A second seed keeps the status the sweep gave (so it changes nothing and notifies nobody)."""
    person = person_get_by_id_number(id_number=number)
    return person.status if person is not None else "normal"


def _import_reference(folder: Path) -> None:
    persons = folder / "persons.csv"
    _write_csv(
        persons,
        list(PERSON_COLUMNS),
        [
            [
                num,
                name,
                card,
                phone,
                region,
                kind,
                _stored_status(num),
                "" if bal is None else str(bal),
                pension,
                _demo_last_certified() if pension == "yes" else "",
            ]
            for name, num, card, phone, region, kind, bal, pension in DEMO_PERSONS
        ],
    )
    institutions = folder / "institutions.csv"
    _write_csv(institutions, list(INSTITUTION_COLUMNS), [list(row) for row in DEMO_INSTITUTIONS])
    call_command("import_institutions", str(institutions), verbosity=0)
    call_command("import_persons", str(persons), verbosity=0)
    numbers = {name: num for name, num, *_ in DEMO_PERSONS}
    kinship = folder / "kinship.csv"
    _write_csv(
        kinship,
        list(KINSHIP_COLUMNS),
        [
            [kind, numbers[a], numbers[b], parent_kind, since, ""]
            for kind, a, b, parent_kind, since in DEMO_KINSHIP
        ],
    )
    call_command("import_kinship", str(kinship), verbosity=0)


def _demo_last_certified() -> str:
    """The demo pensioner's cycle ends 20 days from today: due, with the 30-day reminder pending."""
    day = add_months(today(), -12) + dt.timedelta(days=20)
    return day.isoformat()


# 张德福 lets his son 张建国 start his pension certification and see his rights summary (亲情服务).
DEMO_DELEGATION = ("张建国", "张德福", "51", ["certify", "view_rights"])
# A 1x1 PNG standing for the demo father's identity document.
DEMO_ID_DOCUMENT = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
)


def _demo_delegation(users: dict[str, User]) -> None:
    """Through the family-service services; skipped when the pair already has a live delegation."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.delegations.models import LIVE_DELEGATION, Delegation
    from accounts.delegations.services import delegation_confirm, delegation_create

    agent_name, principal_name, relation, scopes = DEMO_DELEGATION
    agent, principal = users[agent_name], users[principal_name]
    if Delegation.objects.filter(
        agent=agent, principal=principal.person, status__in=LIVE_DELEGATION
    ).exists():
        return
    assert principal.person is not None
    delegation = delegation_create(
        actor=agent,
        principal_name=principal.person.name,
        principal_card_number=principal.person.card_number,
        relation_code=relation,
        scopes=scopes,
        id_document=SimpleUploadedFile("demo-id.png", DEMO_ID_DOCUMENT, content_type="image/png"),
    )
    delegation_confirm(actor=principal, delegation=delegation, accept=True)


def _demo_bindings(users: dict[str, User]) -> None:
    """Through the same services a resident uses; skipped for a pair that already has a binding."""
    from family_sharing.models import Binding
    from family_sharing.services import binding_consent, binding_request
    from family_sharing.verification import bindings_verify

    people = {name: (num, name) for name, num, *_ in DEMO_PERSONS}
    for sharer, relative, code, consents in DEMO_BINDINGS:
        actor = users[sharer]
        number, name = people[relative]
        if Binding.objects.filter(sharer=actor.person, beneficiary__name=name).exists():
            continue
        binding = binding_request(
            actor=actor, beneficiary_id_number=number, beneficiary_name=name, relation_code=code
        )
        if consents:
            binding_consent(actor=users[relative], binding=binding, accept=True)
    bindings_verify()


def _demo_contributions(folder: Path, bureau: User) -> None:
    """Declarations and payments through import_contributions, the sweep, and one open case."""
    from family_sharing.contributions.models import ArrearsCase
    from family_sharing.contributions.services import arrears_case_open
    from family_sharing.contributions.sweep import arrears_sweep

    numbers = {name: num for name, num, *_ in DEMO_PERSONS}
    this_month = today().replace(day=1)
    rows = []
    for name, key, months, part_paid in DEMO_CONTRIBUTIONS:
        for back in months:
            period = add_months(this_month, -back)
            due = 45_000 if key == "kangning" else 62_000
            paid = due // 3 if back == part_paid else due
            rows.append(
                [
                    _uscc(key),
                    DEMO_EMPLOYERS[key][1],
                    numbers[name],
                    f"{period:%Y-%m}",
                    str(due),
                    str(paid),
                    f"{add_months(period, 1):%Y-%m}-15",
                ]
            )
    path = folder / "contributions.csv"
    _write_csv(path, list(CONTRIBUTION_COLUMNS), rows)
    call_command("import_contributions", str(path), verbosity=0)
    arrears_sweep(as_of=today())
    employer = Employer.objects.get(uscc=_uscc(DEMO_CASE_EMPLOYER))
    if not ArrearsCase.objects.filter(employer=employer).exists():
        arrears_case_open(actor=bureau, employer=employer, as_of=today(), note="演示：单位少缴职工医保费")


def _demo_totp(user: User) -> None:
    TOTPDevice.objects.update_or_create(
        user=user, name="演示验证器", defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True}
    )


def _demo_static_tokens(user: User) -> None:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="演示备用码")
    for token in DEMO_STATIC_TOKENS:
        StaticToken.objects.get_or_create(device=device, token=token)


class DemoError(ErrorCode):
    DEMO_REFUSED = (
        "demo_refused_in_production",
        "生产环境不能写入演示数据（演示账号共用公开的动态验证码密钥）",
    )


def demo_allowed_check() -> None:
    """Raises unless these settings allow demo data (DEMO_DATA_ALLOWED; False in production)."""
    if not getattr(settings, "DEMO_DATA_ALLOWED", False):
        raise ApplicationError.of(FORBIDDEN, DemoError.DEMO_REFUSED)


@transaction.atomic
def seed_demo(*, staff_password: str) -> list[DemoLogin]:
    demo_allowed_check()
    with tempfile.TemporaryDirectory() as tmp:
        _import_reference(Path(tmp))
    logins: list[DemoLogin] = []
    users: dict[str, User] = {}
    for name, number, *_ in DEMO_PERSONS:
        if name not in DEMO_RESIDENT_LOGINS:
            continue
        person = person_get_by_id_number(id_number=number)
        assert person is not None
        user = User.objects.filter(person=person).first()
        if user is None:
            user = User(username=f"r{person.pk}", role=Role.RESIDENT, person=person, first_name=person.name)
            user.set_password(DEMO_RESIDENT_PASSWORD)
            user.save()
        _demo_totp(user)
        users[name] = user
        logins.append(DemoLogin(f"参保人 {name}", number, DEMO_RESIDENT_PASSWORD))
    _demo_bindings(users)
    _demo_delegation(users)
    for username, role, region, institution in DEMO_STAFF:
        user = staff_create(
            username=username,
            role=role,
            password=staff_password,
            region_code=region,
            institution_code=institution,
        )
        _demo_totp(user)
        _demo_static_tokens(user)
        logins.append(DemoLogin(f"工作人员 {role}", username, staff_password))
        users[username] = user
    _demo_accounts()
    with tempfile.TemporaryDirectory() as tmp:
        _demo_contributions(Path(tmp), users["bureau_demo"])
    return logins


def _demo_accounts() -> None:
    """Monthly credit amounts, and one family payment through the counter's own service."""
    from accounts.models import PersonalAccount
    from family_sharing.settlement.services import settlement_create
    from portal.core.errors import ApplicationError

    cards = {name: card for name, _, card, *_ in DEMO_PERSONS}
    for name, fen in DEMO_MONTHLY_CREDITS.items():
        PersonalAccount.objects.filter(person__card_number=cards[name]).update(monthly_credit_fen=fen)
    sharer, patient, amount_fen, key = DEMO_SETTLEMENT
    try:
        settlement_create(
            actor=User.objects.get(username="hospital_demo"),
            sharer_card_number=cards[sharer],
            beneficiary_card_number=cards[patient],
            category="medical_self_pay",
            amount_fen=amount_fen,
            description="门诊自付费用（演示）",
            idempotency_key=key,
        )
    except ApplicationError:
        pass  # the binding is not active (the registry did not confirm it): no demo payment


def demo_totp_secret() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()
