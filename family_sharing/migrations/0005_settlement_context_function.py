"""The settlement's read as a PL/pgSQL function, so that its plan is cached per session (decision
record 0012); its text lives in family_sharing/settlement/sql.py."""

from django.db import migrations

from family_sharing.settlement.sql import CREATE_CONTEXT_FUNCTION, DROP_CONTEXT_FUNCTION


class Migration(migrations.Migration):
    dependencies = [("family_sharing", "0004_settlement_post_function")]

    operations = [migrations.RunSQL(CREATE_CONTEXT_FUNCTION, DROP_CONTEXT_FUNCTION)]
