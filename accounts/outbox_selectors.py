"""What the SMS outbox holds undelivered: for `/readyz`, the metrics and the admin."""

from django.db import connection

from accounts.outbox_models import SmsOutbox


def outbox_lag_seconds() -> float:
    """The age of the oldest undelivered row (0 when none): how late the notices are."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(extract(epoch FROM statement_timestamp() - min(created_at)), 0)"
            " FROM accounts_smsoutbox WHERE done_at IS NULL"
        )
        (lag,) = cursor.fetchone()
    return max(float(lag), 0.0)


def outbox_pending_count() -> int:
    return SmsOutbox.objects.filter(done_at__isnull=True).count()
