"""The bureau staff group: add, change and view on our apps' models (never delete: records of
people and money are ended by a state change, not removed)."""

from django.contrib.auth.models import Group, Permission

from accounts.models import User

BUREAU_GROUP = "医保经办人员"
BUREAU_APPS = ("accounts", "family_sharing", "certification")


def bureau_group() -> Group:
    group, _ = Group.objects.get_or_create(name=BUREAU_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=BUREAU_APPS).exclude(
        codename__startswith="delete_"
    )
    group.permissions.set(perms)
    return group


def grant_bureau_permissions(user: User) -> None:
    user.groups.add(bureau_group())
