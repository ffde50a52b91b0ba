"""Report files and Celery task results in the themed admin.

django-celery-results registers its own (unthemed) admins; they are replaced here by unfold
ones, read-only. The report files page hangs off the task results admin:
``admin:reports_report_files`` lists REPORTS_DIR, ``admin:reports_report_download`` serves
one file, and only names of the report pattern (never a path) are looked up.
"""

import contextlib

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django_celery_results import admin as celery_results_admin
from django_celery_results.models import GroupResult, TaskResult
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.views import UnfoldModelAdminViewMixin

from accounts.roles import can_read_all_circulation, is_librarian
from backoffice.core.admin import ReadOnlyAdminMixin
from backoffice.core.admin_inputs import AdminInputGuardMixin
from backoffice.core.errors import ServiceUnavailable

from . import selectors, services

for model in (TaskResult, GroupResult):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(model)


class ReportFilesView(UnfoldModelAdminViewMixin, TemplateView):
    title = _("Report files")
    permission_required = ()
    template_name = "reports/admin/report_files.html"

    def has_permission(self):
        return can_read_all_circulation(self.request.user)

    def get_context_data(self, **kwargs):
        rows = [
            [
                format_html(
                    '<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>',
                    reverse("admin:reports_report_download", args=[report.name]),
                    report.name,
                ),
                report.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                filesizeformat(report.size),
            ]
            for report in selectors.report_files(settings.REPORTS_DIR)
        ]
        return super().get_context_data(
            **kwargs,
            reports_dir=settings.REPORTS_DIR,
            table={"headers": [_("File"), _("Written"), _("Size")], "rows": rows},
        )


@admin.register(TaskResult)
class TaskResultAdmin(
    AdminInputGuardMixin, ReadOnlyAdminMixin, celery_results_admin.TaskResultAdmin, ModelAdmin
):
    show_full_result_count = False
    actions_list = ["generate_report", "open_report_files"]

    def get_urls(self):
        report_urls = [
            path(
                "report-files/",
                self.admin_site.admin_view(ReportFilesView.as_view(model_admin=self)),
                name="reports_report_files",
            ),
            path(
                "report-files/<str:name>/",
                self.admin_site.admin_view(self.download_report_view),
                name="reports_report_download",
            ),
        ]
        return report_urls + super().get_urls()

    @action(description=_("Report files"), url_path="open-report-files", icon="description")
    def open_report_files(self, request):
        return redirect("admin:reports_report_files")

    def has_generate_report_permission(self, request, obj=None):
        return is_librarian(request.user)

    @action(
        description=_("Generate report now"),
        url_path="generate-report",
        permissions=["generate_report"],
        icon="summarize",
    )
    def generate_report(self, request):
        """Queue the library report (reports.services); GET asks for confirmation."""
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Generate a library report"),
                "opts": self.opts,
                "task_results_url": reverse("admin:django_celery_results_taskresult_changelist"),
                "report_files_url": reverse("admin:reports_report_files"),
            }
            return TemplateResponse(request, "admin/reports/generate_report.html", context)

        try:
            task_id = services.report_enqueue(requested_by=request.user)
        except ServiceUnavailable as error:
            self.message_user(
                request,
                _("The report could not be queued: %(detail)s") % {"detail": error.detail},
                messages.ERROR,
            )
            return redirect("admin:index")
        task_url = (
            reverse("admin:django_celery_results_taskresult_changelist") + f"?task_id={task_id}"
        )
        self.message_user(
            request,
            format_html(
                "Report queued as task <code>{}</code>. It is built in the background: "
                'follow it in <a class="font-medium underline" href="{}">Task results</a>; '
                "once it has succeeded, the file is listed under "
                '<a class="font-medium underline" href="{}">Report files</a>.',
                task_id,
                task_url,
                reverse("admin:reports_report_files"),
            ),
            messages.SUCCESS,
        )
        return redirect(task_url)

    def download_report_view(self, request, name: str):
        if not can_read_all_circulation(request.user):
            raise PermissionDenied
        report = selectors.report_file(settings.REPORTS_DIR, name)
        if report is None:
            raise Http404("No such report file.")
        return FileResponse(
            open(report.path, "rb"),  # FileResponse closes it
            as_attachment=True,
            filename=report.name,
            content_type="application/json",
        )


@admin.register(GroupResult)
class GroupResultAdmin(
    AdminInputGuardMixin, ReadOnlyAdminMixin, celery_results_admin.GroupResultAdmin, ModelAdmin
):
    show_full_result_count = False
