from django.utils import timezone
from knox.models import AuthToken


def tokens_delete_expired() -> int:
    """Delete knox tokens past their expiry; knox itself only drops them when they are used."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


def tokens_revoke_all(*, user) -> int:
    """Revoke every API token of ``user``: each device must sign in again."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
