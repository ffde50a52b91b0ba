"""``GET /health/``: are the database and the broker reachable."""

import logging
import os

from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


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


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    database = serializers.ChoiceField(choices=["ok", "unreachable"])
    broker = serializers.ChoiceField(choices=["ok", "unreachable"])


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="get_health",
        summary="Whether the database and the broker are reachable",
        responses={
            200: OpenApiResponse(HealthSerializer, description="Both reachable."),
            503: OpenApiResponse(HealthSerializer, description="Either one is unreachable."),
        },
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
