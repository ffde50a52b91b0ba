"""Project-wide API glue: the error format and the health check."""

import logging
import os

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, connection
from django.db.models import ProtectedError, RestrictedError
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from .core.outages import outage_for
from .core.serializers import StrictInputMixin
from .errors import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """Domain errors and refusals as ``{"detail", "code"}``; validation errors as a field map.

    A database, Redis or broker that stops answering mid-request is a 503 with Retry-After.
    """
    outage = outage_for(exc)
    if outage is not None:
        logger.warning("%s during %s", outage.code, context.get("request"), exc_info=exc)
        set_rollback()
        return Response(
            outage.body(),
            status=outage.status_code,
            headers={"Retry-After": str(outage.retry_after)},
        )
    if isinstance(exc, DomainError):
        response = Response({"detail": exc.detail, "code": exc.code}, status=exc.status_code)
        if exc.status_code == 503:
            response["Retry-After"] = "30"
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return Response(
            {
                "detail": "Other records depend on this one; it cannot be deleted.",
                "code": "protected",
            },
            status=409,
        )
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and not isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or "error"
    if (
        response is not None
        and isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, list)
    ):
        # A ValidationError raised with a bare message (DRF's SearchFilter on a NUL
        # byte, for one) renders as a list; the API's validation errors are a field map.
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    return response


# --- OpenAPI: the error answers -------------------------------------------------------

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
        from rest_framework.permissions import AllowAny

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


def broker_is_reachable() -> bool:
    from django.conf import settings
    from kombu import Connection

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            return False
        return os.access(folder, os.W_OK)
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True
    except Exception:
        logger.warning("Celery broker unreachable", exc_info=True)
        return False


def database_is_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        logger.warning("Database unreachable", exc_info=True)
        return False


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "broker": serializers.CharField(),
                },
            ),
            503: None,
        }
    )
    def get(self, request):
        checks = {
            "database": "ok" if database_is_reachable() else "unreachable",
            "broker": "ok" if broker_is_reachable() else "unreachable",
        }
        healthy = all(state == "ok" for state in checks.values())
        return Response(
            {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
        )
