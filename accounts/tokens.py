from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.signals import user_logged_in
from knox.models import AuthToken


@dataclass(frozen=True)
class IssuedToken:
    key: str
    expiry: datetime | None


def create_knox_token(token_model, user, serializer) -> IssuedToken:
    """dj-rest-auth TOKEN_CREATOR: one new knox token per login.

    knox keeps only a digest, so the raw key must be taken from ``create()`` now or
    never. Token logins make no session, so ``user_logged_in`` is sent here: it lets
    axes reset the failure counter and records ``last_login``.
    """
    instance, raw_key = AuthToken.objects.create(user=user)
    request = serializer.context.get("request")
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return IssuedToken(key=raw_key, expiry=instance.expiry)
