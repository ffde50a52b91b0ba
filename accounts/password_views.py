"""The API's password reset views: dj-rest-auth's, with our serializers and throttles.

(Apart from ``accounts.passwords``: dj-rest-auth's views import the serializers named in
settings, which import that module.)
"""

from dj_rest_auth.views import PasswordResetConfirmView, PasswordResetView
from django.conf import settings

from backoffice.core.throttling import FixedWindowThrottle


class PasswordResetAddressThrottle(FixedWindowThrottle):
    """Requests per client address: a guesser cannot mail the whole patron list."""

    scope = "password_reset"
    noun = "password reset request"
    verb = "ask"

    def get_rate(self):
        return settings.PASSWORD_RESET_RATE

    def get_cache_key(self, request, view):
        return f"{self.scope}:ip:{self.get_ident(request)}"


class PasswordResetRecipientThrottle(PasswordResetAddressThrottle):
    """Requests per e-mail address, from anywhere: nobody's inbox is flooded. Counted for
    every address asked about, known or not, so the count tells nothing either."""

    scope = "password_reset_to"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email or len(email) > 254:
            return None
        return f"{self.scope}:{email.strip().lower()}"


class PasswordResetRequestView(PasswordResetView):
    throttle_classes = [PasswordResetAddressThrottle, PasswordResetRecipientThrottle]


class PasswordResetConfirmationView(PasswordResetConfirmView):
    throttle_classes = [PasswordResetAddressThrottle]
