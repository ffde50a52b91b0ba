"""The API's error format: every refusal as JSON ``{"detail", "code"}``."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from backoffice.core.errors import DomainError
from backoffice.core.inputs import parse_id
from backoffice.core.outages import outage_for
from backoffice.core.parsers import JSONParser

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


class JsonApiMixin:
    """JSON bodies only (DESIGN: "JSON everywhere"): a form post is a 415, and the schema
    does not advertise form encodings, where a blank field would mean null. Ids in the URL
    are matched loosely so that ``/books/0.5/`` is the API's JSON 404, not Django's HTML one,
    then read strictly: only 1..2**63-1 in ASCII digits names a record ("٣" does not).
    """

    parser_classes = [JSONParser]
    lookup_value_regex = "[^/]+"
    lookup_is_id = True  # the schema types the path id as an integer (core.schema)

    def get_object(self):
        if parse_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field]) is None:
            raise NotFound()
        return super().get_object()


class RememberedContentNegotiation(DefaultContentNegotiation):
    """DRF's choice of renderer, made once per Accept header, ``?format=`` and set of
    renderers, then remembered.

    DRF parses and ranks the Accept header on every request (about 0.1 ms); clients send
    the same few headers over and over. A header that fits no renderer is refused (406)
    as before, and never remembered; so is anything past the first few hundred headers.
    """

    _chosen: dict = {}
    REMEMBERED_AT_MOST = 256

    def select_renderer(self, request, renderers, format_suffix=None):
        key = (
            request.META.get("HTTP_ACCEPT"),
            format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE),
            tuple(type(renderer) for renderer in renderers),
        )
        chosen = self._chosen.get(key)
        if chosen is not None:
            position, media_type = chosen
            return renderers[position], media_type
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        if len(self._chosen) < self.REMEMBERED_AT_MOST:
            position = next(i for i, each in enumerate(renderers) if each is renderer)
            self._chosen[key] = (position, media_type)
        return renderer, media_type
