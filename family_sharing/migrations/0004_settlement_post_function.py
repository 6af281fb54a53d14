"""The settlement's write path as one reviewed SQL function (decision record 0012); its text lives
in family_sharing/settlement/sql.py (a later change to it comes with a migration of its own)."""

from django.db import migrations

from family_sharing.settlement.sql import CREATE_FUNCTION, DROP_FUNCTION


class Migration(migrations.Migration):
    dependencies = [
        ("family_sharing", "0003_settlement"),
        ("accounts", "0006_ledger_credit_and_counterparty"),
    ]

    operations = [migrations.RunSQL(CREATE_FUNCTION, DROP_FUNCTION)]
