from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.signals import token_expired
from rest_framework import exceptions


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox tokens (hashed at rest, TTL from settings) that never crash on a garbled header."""

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        # knox sweeps all the user's other tokens on every request, a query each time;
        # only the presented token matters here, and beat deletes expired rows hourly.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False
