import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from backoffice.core.compiled import CompiledQuery

INVALID_TOKEN = _("Invalid token.")


# knox's token lookup (the token rows of a key prefix, with their user), compiled to SQL
# once rather than by the ORM on every request (about 1 ms each); the rows are the token
# and user instances knox's own query gives.
token_query = CompiledQuery(
    lambda key_prefix: (
        get_token_model().objects.filter(token_key=key_prefix).select_related("user").order_by()
    ),
    texts=("key_prefix",),
)


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox tokens (hashed at rest, TTL from settings) that never crash on a garbled header."""

    def authenticate_credentials(self, token: bytes):
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        for auth_token in token_query.rows(key_prefix=token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)

    def _cleanup_token(self, auth_token) -> bool:
        # knox sweeps all the user's other tokens on every request, a query each time;
        # only the presented token matters here, and beat deletes expired rows hourly.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False
