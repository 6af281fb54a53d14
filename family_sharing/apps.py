from django.apps import AppConfig


class FamilySharingConfig(AppConfig):
    name = "family_sharing"
    verbose_name = "家庭共济"

    def ready(self) -> None:
        """Tells family service (accounts) who a child's registry guardians are, and accounts'
        change requests which family-sharing changes need a second officer."""
        from accounts.delegations.registry import GuardianSource, guardian_source_register
        from family_sharing.guardians import guardians_of, wards_of

        guardian_source_register(GuardianSource(guardians=guardians_of, wards=wards_of))

        # Registry edges and evidence approval need a second officer (maker-checker).
        from family_sharing.change_kinds import register

        register()
