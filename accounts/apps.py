from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "参保人与账户"

    def ready(self) -> None:
        """Registers the person changes that need a second officer (accounts/change_requests/)."""
        from accounts.change_requests.kinds import register

        register()
