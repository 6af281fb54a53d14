"""The settlement as one SQL function, one round trip (decision record 0012): family_settlement
replaces the read (family_settlement_context) and the write (family_settlement_post); their texts
are in family_sharing/settlement/sql.py."""

from django.db import migrations

from family_sharing.settlement.sql import (
    CREATE_CONTEXT_FUNCTION,
    CREATE_FUNCTION,
    CREATE_SETTLE_FUNCTION,
    DROP_CONTEXT_FUNCTION,
    DROP_FUNCTION,
    DROP_SETTLE_FUNCTION,
)


class Migration(migrations.Migration):
    dependencies = [("family_sharing", "0007_arrears_sweep_schedule")]

    operations = [
        migrations.RunSQL(
            [CREATE_SETTLE_FUNCTION, DROP_CONTEXT_FUNCTION, DROP_FUNCTION],
            [CREATE_FUNCTION, CREATE_CONTEXT_FUNCTION, DROP_SETTLE_FUNCTION],
        )
    ]
