"""The OpenAPI schema's view of the API: error answers, anonymous access, strict bodies."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework.permissions import AllowAny

from backoffice.core.serializers import StrictInputMixin

_ERROR_BODY = {
    "type": "object",
    "description": (
        'A refusal: `{"detail": "...", "code": "..."}`; or, for invalid input, a map of '
        'field names to messages (`{"isbn": ["Not a valid ISBN-13: ..."]}`).'
    ),
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "additionalProperties": True,
}

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error statuses an operation can answer.

    drf-spectacular documents only the success response, so a client (or a fuzzer
    checking the schema) meets undocumented 400/401/403/404/409/429s. Each is added here
    when the operation can produce it; responses a view documents itself are kept.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status_code, description in self._error_statuses():
            responses.setdefault(
                str(status_code),
                {
                    "description": description,
                    "content": {"application/json": {"schema": _ERROR_BODY}},
                },
            )
        return responses

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(force_instance(serializer), StrictInputMixin):
            # Such bodies refuse keys they do not take (see StrictInputMixin).
            schema["additionalProperties"] = False
        return schema

    def get_auth(self):
        # drf-spectacular marks an operation open to anonymous callers ({} in its
        # security) only for its own permission classes; ours are asked directly.
        auths = super().get_auth()
        if auths and {} not in auths and self._open_to_anonymous():
            auths.append({})
        return auths

    def _open_to_anonymous(self) -> bool:
        from types import SimpleNamespace

        from django.contrib.auth.models import AnonymousUser

        caller = SimpleNamespace(method=self.method, user=AnonymousUser())
        return all(
            permission.has_permission(caller, self.view)
            for permission in self.view.get_permissions()
        )

    def _error_statuses(self) -> list[tuple[int, str]]:

        view, method = self.view, self.method
        statuses = []
        has_query = bool(
            self._get_filter_parameters()
            or self._get_pagination_parameters()
            or self.get_override_parameters()
        )
        if method in _UNSAFE or has_query:
            statuses.append((400, "Invalid input: a map of fields to messages."))
        if view.get_authenticators():
            statuses.append((401, "Missing, invalid, expired or revoked token."))
        if any(not isinstance(permission, AllowAny) for permission in view.get_permissions()):
            statuses.append((403, "Not allowed for this role."))
        if "{" in self.path or self._get_paginator() is not None:
            statuses.append((404, "No such object, or no such page."))
        if method in _UNSAFE:
            statuses.append((409, "Refused by a rule: `code` says which."))
            statuses.append((429, "Too many requests or failed logins; see Retry-After."))
        if method in {"POST", "PUT", "PATCH"}:
            statuses.append((415, "Unsupported request content type."))
        return statuses
