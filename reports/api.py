import logging

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import can_read_all_circulation, is_librarian
from backoffice.core.errors import DomainError, NotFound, ServiceUnavailable
from backoffice.core.serializers import refuse_body

from . import reaper, selectors, services
from .serializers import (
    ReportEnqueuedSerializer,
    ReportSerializer,
    ReportTaskSerializer,
)

logger = logging.getLogger(__name__)


class NoReport(DomainError):
    status_code = 404
    code = "no_report"
    default_detail = (
        "No report has been generated yet. A librarian can request one with POST /reports/; "
        "one is also written every night."
    )


class ReportUnreadable(ServiceUnavailable):
    code = "report_unreadable"
    default_detail = (
        "The latest report file cannot be read; check REPORTS_DIR, or generate a new report."
    )


class ReportTaskNotFound(NotFound):
    default_detail = "No report task with this id."


class ReadsOrGeneratesReports(BasePermission):
    """Librarians and auditors read reports; only librarians ask for a new one."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            self.message = "Only librarians and auditors can read reports."
            return can_read_all_circulation(request.user)
        self.message = "Only librarians can generate reports."
        return is_librarian(request.user)


class ReportView(APIView):
    permission_classes = [IsAuthenticated, ReadsOrGeneratesReports]
    raises = {"get": [NoReport, ReportUnreadable], "post": [services.BrokerUnavailable]}
    links = {"post": {"get_report_task": {"task_id": "$response.body#/task_id"}}}

    @extend_schema(
        operation_id="get_latest_report",
        summary="The latest report",
        responses={200: ReportSerializer},
    )
    def get(self, request):
        try:
            latest = selectors.report_latest(settings.REPORTS_DIR)
            if latest is None:
                raise NoReport()
            report = selectors.report_read(latest)
        except (OSError, ValueError) as exc:  # unreadable directory, a file edited by hand
            logger.error("Cannot read the latest report in %s", settings.REPORTS_DIR, exc_info=True)
            raise ReportUnreadable() from exc
        return Response({"file": latest.name, **report})

    @extend_schema(
        operation_id="generate_report",
        summary="Generate a report in the background",
        request=None,
        responses={202: ReportEnqueuedSerializer},
    )
    def post(self, request):
        refuse_body(request)
        task_id = services.report_enqueue(requested_by=request.user)
        status_url = request.build_absolute_uri(reverse("report-task", args=[task_id]))
        return Response(
            ReportEnqueuedSerializer({"task_id": task_id, "status_url": status_url}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": status_url},
        )


class ReportTaskView(APIView):
    permission_classes = [IsAuthenticated, ReadsOrGeneratesReports]
    raises = {"get": [ReportTaskNotFound]}

    @extend_schema(
        operation_id="get_report_task",
        summary="State of a report task",
        responses={200: ReportTaskSerializer},
    )
    def get(self, request, task_id: str):
        # A task whose worker died says so now, not at the next beat run.
        reaper.report_tasks_reap(task_id=task_id)
        task = selectors.report_task_status(task_id)
        if task is None:
            raise ReportTaskNotFound()
        body = {"task_id": task.task_id, "state": task.state}
        if task.file:
            body["file"] = task.file
        if task.error:
            body["error"] = task.error
        if task.date_done:
            body["date_done"] = task.date_done
        return Response(ReportTaskSerializer(body).data)
