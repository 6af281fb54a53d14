# Delegations for children (DESIGN.md section 10, issue 15): a bureau officer who checked the
# documents may open one; who and which documents are recorded on it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_sms_device"),
    ]

    operations = [
        migrations.AddField(
            model_name="delegation",
            name="opened_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="办理的经办人员",
            ),
        ),
        migrations.AddField(
            model_name="delegation",
            name="documents_checked",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="核验的证件"),
        ),
        migrations.AddConstraint(
            model_name="delegation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("documents_checked", ""), ("opened_by__isnull", True)),
                    models.Q(
                        models.Q(("opened_by__isnull", False), ("principal_minor", True)),
                        models.Q(("documents_checked", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="delegation_opened_by_staff_recorded",
            ),
        ),
    ]
