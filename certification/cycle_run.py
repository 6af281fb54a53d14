"""The certification cycle run (`run_certification_cycle`, the daily Celery beat task): reminders 30
and 7 days before a cycle ends, and suspension of overdue pensions. Set-based: one INSERT ... SELECT
per concern, whatever the number of pensioners; the in-app messages are inserted by the same
statement, and their SMS copies are queued in the one outbox (accounts.outbox) by the same statement
and delivered by a worker after commit.

Idempotent: a reminder is unique per (person, cycle end, threshold) and inserted with ON CONFLICT DO
NOTHING; a pension already suspended is not suspended again. Reminder windows: the 30-day one while
30 to 8 days are left, the 7-day one from 7 days to the end day; a run that was missed for a while
sends only the reminder of the window it is in."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction

from accounts.outbox import outbox_dispatch_after_commit
from certification.cycles import CYCLE_MONTHS, DUE_DAYS
from portal.core.time import add_months, today

log = logging.getLogger(__name__)

# last_certified_on + 12 months is clamped at month ends (Feb 29 -> Feb 28), so bounds on the
# indexed column are widened by a few days and the exact cycle end is tested as well.
MARGIN = dt.timedelta(days=4)
NONCE_RETENTION = "1 day"  # callbacks older than 300 s are refused anyway

REMINDER_SUBJECT = "请按时进行养老金领取资格认证"
REMINDER_BODY = (
    "您本年度的养老金领取资格认证将于{end}到期（还有{days}天）。请用支付宝、微信、掌上12333刷脸认证，"
    "或带身份证到社保经办窗口、社区服务中心办理；逾期将暂停发放养老金。"
)
SUSPENDED_SUBJECT = "养老金已暂停发放"
SUSPENDED_BODY = "您的养老金领取资格认证已于{end}到期，养老金自{on}起暂停发放。完成认证后即恢复发放，暂停期间的养老金将予补发。"

REMIND_SQL = """
WITH candidates AS (
    SELECT p.id AS person_id, (p.last_certified_on + interval '12 months')::date AS cycle_end
      FROM accounts_person AS p
     WHERE p.is_pensioner AND p.last_certified_on BETWEEN %(lo)s AND %(hi)s
), picked AS (
    SELECT person_id, cycle_end,
           CASE WHEN cycle_end - %(as_of)s::date <= 7 THEN 7 ELSE 30 END AS threshold
      FROM candidates
     WHERE cycle_end BETWEEN %(as_of)s::date AND %(as_of)s::date + %(due_days)s
), sent AS (
    INSERT INTO certification_reminder (person_id, cycle_end, threshold, sent_on, created_at)
    SELECT person_id, cycle_end, threshold, %(as_of)s, now() FROM picked
    ON CONFLICT (person_id, cycle_end, threshold) DO NOTHING
    RETURNING person_id, cycle_end, threshold
), messages AS (
    INSERT INTO accounts_message (person_id, subject, body, created_at, read_at)
    SELECT person_id, %(subject)s,
           replace(replace(%(body)s, '{end}', to_char(cycle_end, 'YYYY-MM-DD')),
                   '{days}', (cycle_end - %(as_of)s::date)::text),
           now(), NULL
      FROM sent
    RETURNING id, person_id
), outbox AS (
    INSERT INTO accounts_smsoutbox (message_id)
    SELECT m.id FROM messages AS m
     WHERE (SELECT p.phone FROM accounts_person AS p WHERE p.id = m.person_id) <> ''
)
SELECT count(*) FILTER (WHERE threshold = 30), count(*) FILTER (WHERE threshold = 7) FROM sent
"""

SUSPEND_SQL = """
WITH overdue AS (
    SELECT p.id AS person_id, (p.last_certified_on + interval '12 months')::date AS cycle_end
      FROM accounts_person AS p
     WHERE p.is_pensioner AND p.last_certified_on < %(hi)s
       AND (p.last_certified_on + interval '12 months')::date < %(as_of)s::date
       AND NOT EXISTS (SELECT 1 FROM certification_pensionpayment AS pp
                        WHERE pp.person_id = p.id AND pp.status = 'suspended')
), changed AS (
    INSERT INTO certification_pensionpayment AS pp
           (person_id, status, suspended_on, resumed_on, back_pay_months, updated_at)
    SELECT person_id, 'suspended', %(as_of)s, NULL, 0, now() FROM overdue
    ON CONFLICT (person_id) DO UPDATE
       SET status = 'suspended', suspended_on = EXCLUDED.suspended_on, updated_at = now()
     WHERE pp.status = 'paying'
    RETURNING person_id
), events AS (
    INSERT INTO certification_paymentevent (person_id, kind, "on", back_pay_months, certification_id, at)
    SELECT person_id, 'suspended', %(as_of)s, NULL, NULL, now() FROM changed
), messages AS (
    INSERT INTO accounts_message (person_id, subject, body, created_at, read_at)
    SELECT c.person_id, %(subject)s,
           replace(replace(%(body)s, '{end}', to_char(o.cycle_end, 'YYYY-MM-DD')),
                   '{on}', to_char(%(as_of)s::date, 'YYYY-MM-DD')),
           now(), NULL
      FROM changed AS c JOIN overdue AS o USING (person_id)
    RETURNING id, person_id
), outbox AS (
    INSERT INTO accounts_smsoutbox (message_id)
    SELECT m.id FROM messages AS m
     WHERE (SELECT p.phone FROM accounts_person AS p WHERE p.id = m.person_id) <> ''
)
SELECT count(*) FROM changed
"""


@dataclass(frozen=True)
class CycleRunResult:
    as_of: dt.date
    reminded_30: int
    reminded_7: int
    suspended: int

    def summary(self) -> str:
        return (
            f"{self.as_of:%Y-%m-%d}: reminders 30-day {self.reminded_30}, 7-day {self.reminded_7}; "
            f"pensions suspended {self.suspended}"
        )


@transaction.atomic
def certification_cycle_run(*, as_of: dt.date | None = None) -> CycleRunResult:
    day = as_of or today()
    year_before = add_months(day, -CYCLE_MONTHS)
    with connection.cursor() as cursor:
        cursor.execute(
            REMIND_SQL,
            {
                "as_of": day,
                "due_days": DUE_DAYS,
                "lo": year_before - MARGIN,
                "hi": add_months(day + dt.timedelta(days=DUE_DAYS), -CYCLE_MONTHS) + MARGIN,
                "subject": REMINDER_SUBJECT,
                "body": REMINDER_BODY,
            },
        )
        reminded_30, reminded_7 = cursor.fetchone()
        cursor.execute(
            SUSPEND_SQL,
            {"as_of": day, "hi": year_before + MARGIN, "subject": SUSPENDED_SUBJECT, "body": SUSPENDED_BODY},
        )
        (suspended,) = cursor.fetchone()
        cursor.execute(
            "DELETE FROM certification_channelnonce WHERE received_at < now() - %s::interval",
            [NONCE_RETENTION],
        )
    if reminded_30 or reminded_7 or suspended:
        outbox_dispatch_after_commit(ids=None)
    return CycleRunResult(day, reminded_30, reminded_7, suspended)
