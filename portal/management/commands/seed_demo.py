"""seed_demo — demo regions, persons, families, staff and logins for the first run (idempotent).

Staff passwords come from STAFF_PASSWORD. Every demo login shares one authenticator secret,
printed here; `demo_code` prints the current code for those who have no authenticator app. Refused
(exit status 1, nothing written) under production settings."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.core.errors import ApplicationError
from portal.demo import (
    DEMO_PERSONS,
    DEMO_RESIDENT_LOGINS,
    DEMO_STATIC_TOKENS,
    demo_allowed_check,
    demo_totp_secret,
    seed_demo,
)


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo_allowed_check()  # first: under production settings nothing else runs
        except ApplicationError as exc:
            raise CommandError(f"{exc.code} {exc.message}") from exc
        password = os.environ.get("STAFF_PASSWORD", "")
        if not password:
            raise CommandError("staff_password_missing 请在环境变量 STAFF_PASSWORD 中提供演示工作人员的密码")
        try:
            logins = seed_demo(staff_password=password)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code} {exc.message}") from exc
        secret = demo_totp_secret()
        self.stdout.write("演示账号 / demo logins:")
        for login in logins:
            self.stdout.write(f"  {login.who:<16} 登录名 {login.login:<20} 密码 {login.password}")
        self.stdout.write(f"  动态验证码：在身份验证器中添加密钥 {secret}（TOTP, 30 秒, 6 位）")
        self.stdout.write("           或运行 `make demo-code` 查看当前验证码")
        self.stdout.write(f"  工作人员一次性备用码：{' '.join(DEMO_STATIC_TOKENS)}")
        self.stdout.write("未注册、可在 /register/ 试注册的演示参保人 / demo persons to register:")
        for name, number, card, phone, *_ in DEMO_PERSONS:
            if name not in DEMO_RESIDENT_LOGINS and phone:
                self.stdout.write(f"  {name} 身份证号 {number} 卡号 {card} 登记手机 {phone}")
        self.stdout.write("  短信验证码在开发环境打印在本终端（SMS_BACKEND=console）")
