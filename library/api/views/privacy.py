"""Reader privacy: GET, PUT /auth/user/reading-history/ and GET /auth/user/export/."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.core.parsers import JSONParser
from library.api.serializers.privacy import (
    PatronExportSerializer,
    ReadingHistoryChoiceSerializer,
)
from library.selectors.privacy import export_reading_history, patron_export
from library.services.privacy import reading_history_choose, retention_days_for


def _choice_body(user) -> dict:
    chosen = export_reading_history(user)
    return {
        "choice": chosen["choice"],
        "forget_after_days": chosen["forget_after_days"],
        "library_retention_days": settings.LOAN_HISTORY_RETENTION_DAYS,
        "effective_retention_days": retention_days_for(user),
    }


class ReadingHistoryView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        responses=ReadingHistoryChoiceSerializer,
        operation_id="get_reading_history_choice",
        summary="How long your returned loans keep your name",
    )
    def get(self, request):
        return Response(_choice_body(request.user))

    @extend_schema(
        request=ReadingHistoryChoiceSerializer,
        responses=ReadingHistoryChoiceSerializer,
        operation_id="set_reading_history_choice",
        summary="Keep your reading history, forget returned loans after N days, or follow "
        "the library's setting",
    )
    def put(self, request):
        payload = ReadingHistoryChoiceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reading_history_choose(
            user=request.user,
            choice=payload.validated_data["choice"],
            forget_after_days=payload.validated_data.get("forget_after_days"),
        )
        return Response(_choice_body(request.user))


class PatronExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=PatronExportSerializer,
        operation_id="export_my_data",
        summary="Everything the library holds about you, as one JSON document",
    )
    def get(self, request):
        document = patron_export(request.user)
        stamp = timezone.now().strftime("%Y%m%d")
        # A download, not a page: the browser saves it under a name of its own.
        return Response(
            document,
            headers={"Content-Disposition": f'attachment; filename="my-library-data-{stamp}.json"'},
        )
