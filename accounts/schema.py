"""How the API's authentication appears in the OpenAPI schema (drf-spectacular).

drf-spectacular knows knox's TokenAuthentication and dj-rest-auth, not our subclass nor
knox's logout views; these extensions describe them. One security scheme, ``tokenAuth``,
stands for the one header both token classes read (knox's own, on the logout views, and
ours everywhere else), with its ``Token`` prefix. The login, logout and user views are
described here because their libraries' docstrings speak of sessions and methods this API
does not have.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view

from .authentication import ExpiringTokenAuthentication
from .signals import LoginLockedOut

TOKEN_SCHEME = "tokenAuth"
TOKEN_PREFIX = "Token"


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ExpiringTokenAuthentication"
    name = TOKEN_SCHEME

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"`Authorization: {TOKEN_PREFIX} <key>`, with the key from `POST /auth/login/`: "
                f"the word `{TOKEN_PREFIX}`, one space, the key (not `Bearer`; with "
                f'openapi-python-client, `AuthenticatedClient(..., prefix="{TOKEN_PREFIX}")`). '
                "A key expires TOKEN_TTL_MINUTES (60) after login, using it does not extend "
                "it, and `POST /auth/logout/` revokes it; then the API answers 401."
            ),
        }


class _Described(OpenApiViewExtension):
    """Replaces a library view's schema with ours: operationId, summary, description."""

    method = "post"
    operation_id = summary = description = ""
    request = None
    responses = None
    raises: dict = {}
    reads_body = True

    def view_replacement(self):
        extension = self

        @extend_schema_view(
            **{
                self.method: extend_schema(
                    operation_id=self.operation_id,
                    summary=self.summary,
                    description=self.description,
                    request=self.request,
                    responses=self.responses,
                )
            }
        )
        class Described(self.target_class):
            # knox's logout views read the header with knox's own class, ours (a subclass)
            # everywhere else: one header, one scheme (not a second `knoxApiToken`).
            authentication_classes = [ExpiringTokenAuthentication]
            raises = extension.raises
            reads_body = extension.reads_body

        return Described


class Login(_Described):
    target_class = "dj_rest_auth.views.LoginView"
    operation_id = "login"
    summary = "Log in: exchange a username and password for a token"
    description = (
        "A JSON body with `username` (any case) and `password`, and no other field. Returns "
        "a new token key and its expiry; send the key as `Authorization: Token <key>`. Each "
        "login makes a token of its own, so several devices stay signed in. A wrong "
        "password, an unknown username and a disabled account get the same 400. After too "
        "many failures the username is locked out for a while (429 `locked_out`, with "
        "Retry-After)."
    )
    raises = {"post": [LoginLockedOut]}

    def view_replacement(self):
        from .serializers import IssuedTokenSerializer, LoginSerializer

        self.request, self.responses = LoginSerializer, {200: IssuedTokenSerializer}
        return super().view_replacement()


class CurrentUser(_Described):
    target_class = "dj_rest_auth.views.UserDetailsView"
    method = "get"
    operation_id = "get_current_user"
    summary = "The account the token belongs to"
    description = "Read-only: id, username, e-mail, names and whether the account is staff."

    def view_replacement(self):
        from .serializers import UserDetailsSerializer

        self.responses = UserDetailsSerializer
        return super().view_replacement()


class KnoxLogout(_Described):
    target_class = "knox.views.LogoutView"
    operation_id = "logout"
    summary = "Log out: revoke the token of this request"
    description = "The token sent with this request stops working at once (then 401)."
    responses = {204: OpenApiResponse(description="Revoked; no content.")}
    reads_body = False


class KnoxLogoutAll(_Described):
    target_class = "knox.views.LogoutAllView"
    operation_id = "logout_all"
    summary = "Log out everywhere: revoke every token of the caller"
    description = "Every token of this account, on every device, stops working at once."
    responses = {204: OpenApiResponse(description="Revoked; no content.")}
    reads_body = False


def _detail_answer(name: str):
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    return inline_serializer(name, {"detail": serializers.CharField()})


class PasswordResetRequest(_Described):
    target_class = "accounts.password_views.PasswordResetRequestView"
    operation_id = "request_password_reset"
    summary = "Ask for a password reset e-mail"
    description = (
        "A JSON body with `email`. If an account has that address, a mail with a link to "
        "set a new password is sent to it. The answer is the same whether or not the "
        "address is known, so it tells nobody who is a patron. Limited per client address "
        "and per e-mail address (429 `throttled`, with Retry-After)."
    )

    def view_replacement(self):
        from .passwords import PasswordResetSerializer

        self.request = PasswordResetSerializer
        self.responses = {200: _detail_answer("PasswordResetRequested")}
        return super().view_replacement()


class PasswordResetConfirmation(_Described):
    target_class = "accounts.password_views.PasswordResetConfirmationView"
    operation_id = "confirm_password_reset"
    summary = "Set a new password with the uid and token from the reset e-mail"
    description = (
        "A JSON body with `uid` and `token` from the e-mail's link and the new password "
        "twice. A used, expired or altered link is a 400. Setting the password revokes "
        "every API token of the account."
    )

    def view_replacement(self):
        from .passwords import PasswordResetConfirmSerializer

        self.request = PasswordResetConfirmSerializer
        self.responses = {200: _detail_answer("PasswordResetDone")}
        return super().view_replacement()
