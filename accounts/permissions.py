"""The bureau staff group: add, change and view on our apps' models (never delete: records of
people and money are ended by a state change, not removed)."""

from django.contrib.auth.models import Group, Permission

from accounts.models import User

BUREAU_GROUP = "医保经办人员"
BUREAU_APPS = ("accounts", "family_sharing", "certification")
# Logins (and their history) are managed by superusers only: a bureau account may not grant itself more.
STAFF_ONLY_FOR_SUPERUSERS = ("user", "historicaluser")


def bureau_group() -> Group:
    group, _ = Group.objects.get_or_create(name=BUREAU_GROUP)
    perms = (
        Permission.objects.filter(content_type__app_label__in=BUREAU_APPS)
        .exclude(codename__startswith="delete_")
        .exclude(content_type__app_label="accounts", content_type__model__in=STAFF_ONLY_FOR_SUPERUSERS)
    )
    group.permissions.set(perms)
    return group


def grant_bureau_permissions(user: User) -> None:
    user.groups.add(bureau_group())
