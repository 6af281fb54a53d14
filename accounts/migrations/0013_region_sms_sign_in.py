# SMS sign-in (issue 17, decision record 0017): the region's switch, on unless the bureau turns it off.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_delegation_guardians"),
    ]

    operations = [
        migrations.AddField(
            model_name="poolingregion",
            name="sms_sign_in_allowed",
            field=models.BooleanField(
                default=True,
                help_text="关闭后，本统筹区参保人不能再用短信验证码登录",
                verbose_name="允许短信验证码登录",
            ),
        ),
    ]
