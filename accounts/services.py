from django.utils import timezone
from knox.models import AuthToken


def tokens_delete_expired() -> int:
    """Delete knox tokens past their expiry; knox itself only drops them when they are used."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
