from django.apps import AppConfig


class FamilySharingConfig(AppConfig):
    name = "family_sharing"
    verbose_name = "家庭共济"
