"""How the API's authentication appears in the OpenAPI schema (drf-spectacular).

drf-spectacular knows knox's TokenAuthentication and dj-rest-auth, not our subclass nor
knox's logout views, and says so on every ``manage.py check``; these extensions describe
them, so the schema declares the token header and the logout operations.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'The key from POST /auth/login/, sent as "Token <key>". It expires '
                "TOKEN_TTL_MINUTES (60) after login; /auth/logout/ revokes it."
            ),
        }


class _KnoxLogout(OpenApiViewExtension):
    summary = ""

    def view_replacement(self):
        @extend_schema(
            summary=self.summary,
            request=None,
            responses={204: OpenApiResponse(description="Revoked; no content.")},
        )
        class Described(self.target_class):
            pass

        return Described


class KnoxLogout(_KnoxLogout):
    target_class = "knox.views.LogoutView"
    summary = "Revoke the token of this request."


class KnoxLogoutAll(_KnoxLogout):
    target_class = "knox.views.LogoutAllView"
    summary = "Revoke every token of the caller."
