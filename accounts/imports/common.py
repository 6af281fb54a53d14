"""Small reads shared by the import services and their commands."""

from accounts.models import User


def actor_get(*, username: str) -> User | None:
    """The staff user an import is recorded under (`--actor USERNAME`)."""
    return User.objects.filter(username=username).first()
