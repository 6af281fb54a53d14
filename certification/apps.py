from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "养老金资格认证"

    def ready(self) -> None:
        """Plugs certification into family service (accounts never imports certification): the
        certification rows of the rights summary and the page an agent with `certify` opens."""
        from django.utils.translation import gettext_lazy as _

        from accounts.delegations.registry import ScopeAction, rights_section_register, scope_action_register
        from certification.views import rights_rows

        rights_section_register(_("养老金资格认证"), rights_rows)
        scope_action_register(ScopeAction("certify", _("代为发起资格认证"), "certification:start-for"))
