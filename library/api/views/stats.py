"""Library statistics for librarians and auditors: GET /stats/."""

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from library import selectors
from library.api.permissions import ReadsStatistics
from library.api.serializers import (
    StatsQuerySerializer,
    StatsSerializer,
)

_ONE_DAY = timedelta(days=1)


class StatsView(APIView):
    permission_classes = [IsAuthenticated, ReadsStatistics]

    # The query serializer documents the parameters with their real bounds (limit 1-50,
    # dates as dates), so a schema-valid request is one the view accepts.
    @extend_schema(
        parameters=[StatsQuerySerializer],
        responses=StatsSerializer,
        operation_id="get_stats",
        summary="Circulation statistics for a period",
    )
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = selectors.Period.from_dates(
            query.validated_data.get("start"), query.validated_data.get("end")
        )
        stats = selectors.borrow_stats(period=period, limit=query.validated_data["limit"])
        return Response(
            StatsSerializer(
                {
                    "start": period.start.date(),
                    "end": (period.end - _ONE_DAY).date(),
                    "borrowed_count": stats.borrowed_count,
                    "most_borrowed_books": stats.most_borrowed_books,
                    "most_active_borrowers": stats.most_active_borrowers,
                    "average_borrow_duration_days": stats.average_borrow_duration_days,
                    "held_copies": stats.held_copies,
                    "holds_waiting": stats.holds_waiting,
                }
            ).data
        )
