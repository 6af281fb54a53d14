"""The settlement as one SQL function, one round trip (decision record 0012): family_settlement
replaces the read (family_settlement_context, migration 0005) and the write
(family_settlement_post, migration 0004), whose frozen texts a reverse recreates; the new text is in
family_sharing/settlement/sql.py."""

from importlib import import_module

from django.db import migrations

from family_sharing.settlement.sql import CREATE_SETTLE_FUNCTION, DROP_SETTLE_FUNCTION

_post = import_module("family_sharing.migrations.0004_settlement_post_function")
_context = import_module("family_sharing.migrations.0005_settlement_context_function")


class Migration(migrations.Migration):
    dependencies = [("family_sharing", "0007_arrears_sweep_schedule")]

    operations = [
        migrations.RunSQL(
            [CREATE_SETTLE_FUNCTION, _context.DROP_CONTEXT_FUNCTION, _post.DROP_FUNCTION],
            [_post.CREATE_FUNCTION, _context.CREATE_CONTEXT_FUNCTION, DROP_SETTLE_FUNCTION],
        )
    ]
