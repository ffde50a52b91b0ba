"""GET, PATCH /notices/preferences/: a patron's choice of courtesy notices."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.core.parsers import JSONParser
from backoffice.core.serializers import StrictInputMixin
from library import services
from library.models import PatronPreferences


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false only: "yes", "on" or 1 would be read as a choice nobody made."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class PreferencesSerializer(StrictInputMixin, serializers.Serializer):
    courtesy_notices = StrictBooleanField(
        help_text="E-mail a few days before a loan is due. Overdue and hold notices are "
        "always sent."
    )


class NoticePreferencesView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated]

    def _current(self, user) -> dict:
        prefs = PatronPreferences.objects.filter(user_id=user.pk).first()
        return {"courtesy_notices": prefs.courtesy_notices if prefs else True}

    @extend_schema(
        responses=PreferencesSerializer,
        operation_id="get_notice_preferences",
        summary="Your notice preferences",
    )
    def get(self, request):
        return Response(self._current(request.user))

    @extend_schema(
        request=PreferencesSerializer,
        responses=PreferencesSerializer,
        operation_id="set_notice_preferences",
        summary="Turn courtesy (due soon) notices on or off",
    )
    def patch(self, request):
        payload = PreferencesSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.preferences_update(
            user=request.user, courtesy_notices=payload.validated_data["courtesy_notices"]
        )
        return Response(self._current(request.user))
