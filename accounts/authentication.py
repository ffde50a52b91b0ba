import binascii
import threading
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

INVALID_TOKEN = _("Invalid token.")


class _TokenQuery:
    """knox's token lookup (the token rows of a key prefix, with their user), compiled to
    SQL once per database rather than by the ORM on every request (about 1 ms each).

    The rows are turned back into model instances with ``from_db``, the way the ORM's
    ``select_related`` does, so the token and its user are what knox's own query gives.
    """

    def __init__(self):
        self._compiled: dict[str, tuple[str, int, dict]] = {}
        self._lock = threading.Lock()

    def tokens(self, key_prefix: str, using: str = "default") -> list:
        Token, User = get_token_model(), get_user_model()
        sql, token_columns, converters = self._sql(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, [key_prefix])
            rows = [list(row) for row in cursor.fetchall()]
        # The database's values become Python's as the ORM would convert them (SQLite
        # returns datetimes as text, for one).
        for row in rows:
            for position, (functions, expression) in converters.items():
                for convert in functions:
                    row[position] = convert(row[position], expression, connection)
        token_names = [f.attname for f in Token._meta.concrete_fields]
        user_names = [f.attname for f in User._meta.concrete_fields]
        user_field = Token._meta.get_field("user")
        found = []
        for row in rows:
            token = Token.from_db(using, token_names, row[:token_columns])
            user_field.set_cached_value(token, User.from_db(using, user_names, row[token_columns:]))
            found.append(token)
        return found

    def _sql(self, using: str) -> tuple[str, int, dict]:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                Token = get_token_model()
                queryset = (
                    Token.objects.using(using)
                    .filter(token_key="%s")
                    .select_related("user")
                    .order_by()
                )
                compiler = queryset.query.get_compiler(using)
                sql, params = compiler.as_sql()
                # The only parameter is the key prefix; the placeholder stays for each call.
                assert params == ("%s",), params
                converters = compiler.get_converters([column for column, _, _ in compiler.select])
                compiled = (sql, len(Token._meta.concrete_fields), converters)
                self._compiled[using] = compiled
        return compiled


token_query = _TokenQuery()


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox tokens (hashed at rest, TTL from settings) that never crash on a garbled header."""

    def authenticate_credentials(self, token: bytes):
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        for auth_token in token_query.tokens(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
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
