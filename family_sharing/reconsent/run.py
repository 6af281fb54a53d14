"""The daily re-consent pass (beat task `family_sharing.run_reconsent`, `manage.py run_reconsent`).

Set-based, two steps, whatever the number of bindings:

1. **Ask.** One `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING` makes a request for every
   active binding a guardian consented to whose beneficiary is 16 or older on the day and was not
   asked before (one request per binding: the unique binding column), then the young people get an
   in-app message and an SMS in one `messages_send_many`.
2. **Suspend.** The active bindings whose request is still unanswered after its last day are locked
   in id order and moved to `suspended` with `reconsent_required` by the shared binding move
   (`status_hooks.bindings_move`: one statement, one event each, both sides told).

Idempotent: a second run on the same day finds no binding without a request and nothing active past
its last day, so it writes nothing and tells nobody."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.notifications import messages_send_many
from family_sharing.errors import SharingError
from family_sharing.models import Binding, BindingStatus
from family_sharing.reconsent.models import ANSWER_DAYS
from family_sharing.selectors import GUARDIAN_AGE
from family_sharing.status_hooks import Transition, bindings_move
from portal.core.time import add_months, today

ASK_SUBJECT = "请确认是否继续接受家庭共济"
ASK_BODY = (
    "您已年满16周岁。{sharer}用其职工医保个人账户为您支付医疗费用的家庭共济，当初由监护人代您同意，"
    "现在需要您本人决定。请在{due}前登录医保门户，在“家庭共济”中确认是否继续（还没有注册的请先注册）；"
    "逾期未确认将暂停支付，确认后恢复。"
)

SUSPEND_FOR_RECONSENT = Transition(
    BindingStatus.SUSPENDED,
    SharingError.RECONSENT_REQUIRED,
    "家庭共济绑定已暂停",
    "被共济人年满16周岁后未在30天内确认是否继续接受家庭共济，绑定已暂停支付；"
    "被共济人本人登录医保门户确认后即恢复。",
)

# %(born_by)s: born on or before this day is 16 or older on the as-of day (the same rule as
# selectors.is_minor: the 16th birthday is the birth date plus 192 months, clamped at month ends).
_ASK_SQL = """
INSERT INTO family_sharing_reconsentrequest (binding_id, requested_on, due_on, answer, created_at)
SELECT b.id, %(as_of)s, %(due_on)s, '', %(now)s
  FROM family_sharing_binding AS b
  JOIN accounts_person AS p ON p.id = b.beneficiary_id
 WHERE b.status = 'active' AND b.guardian_consent AND p.birth_date <= %(born_by)s
   AND NOT EXISTS (SELECT 1 FROM family_sharing_reconsentrequest AS r WHERE r.binding_id = b.id)
 ORDER BY b.id
ON CONFLICT (binding_id) DO NOTHING
RETURNING binding_id
"""

_OVERDUE_SQL = """
SELECT b.id FROM family_sharing_binding AS b
  JOIN family_sharing_reconsentrequest AS r ON r.binding_id = b.id
 WHERE r.answer = '' AND r.due_on < %(as_of)s AND b.status = 'active'
 ORDER BY b.id
   FOR UPDATE OF b
"""


@dataclass(frozen=True)
class ReconsentResult:
    as_of: dt.date
    asked: int
    suspended: int

    def summary(self) -> str:
        return f"re-consent at 16 as of {self.as_of}: {self.asked} asked, {self.suspended} suspended"


def _ask(as_of: dt.date) -> int:
    due_on = as_of + dt.timedelta(days=ANSWER_DAYS - 1)
    with connection.cursor() as cursor:
        cursor.execute(
            _ASK_SQL,
            {
                "as_of": as_of,
                "due_on": due_on,
                "now": timezone.now(),
                "born_by": add_months(as_of, -12 * GUARDIAN_AGE),
            },
        )
        asked = [row[0] for row in cursor.fetchall()]
    if not asked:
        return 0
    # Only what the message needs: no identity number is decrypted (the phone is, to send the SMS).
    bindings = (
        Binding.objects.filter(pk__in=asked)
        .select_related("sharer", "beneficiary")
        .only("pk", "sharer__name", "beneficiary__name", "beneficiary__phone")
        .order_by("pk")
    )
    due = f"{due_on.year}年{due_on.month}月{due_on.day}日"
    return messages_send_many(
        items=[
            (b.beneficiary, ASK_SUBJECT, ASK_BODY.format(sharer=b.sharer.name_masked, due=due))
            for b in bindings
        ]
    )


def _suspend_overdue(as_of: dt.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_OVERDUE_SQL, {"as_of": as_of})
        overdue = [row[0] for row in cursor.fetchall()]
    return bindings_move(binding_ids=overdue, transition=SUSPEND_FOR_RECONSENT)


@transaction.atomic
def reconsent_run(*, as_of: dt.date | None = None) -> ReconsentResult:
    """Asks the young people who turned 16 (by `as_of`, default today in Asia/Shanghai) and suspends
    the bindings whose request went unanswered past its last day."""
    day = as_of or today()
    return ReconsentResult(as_of=day, asked=_ask(day), suspended=_suspend_overdue(day))
