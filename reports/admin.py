"""Report files and Celery task results in the themed admin.

django-celery-results registers its own (unthemed) admins; they are replaced here by unfold
ones, read-only. The report files page hangs off the task results admin:
``admin:reports_report_files`` lists REPORTS_DIR, ``admin:reports_report_download`` serves
one file, and only names of the report pattern (never a path) are looked up.
"""

import contextlib
import csv

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
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

from . import readable, selectors, services

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
        link = '<a class="text-primary-600 dark:text-primary-500" href="{}">{}</a>'
        rows = [
            [
                format_html(
                    link, reverse("admin:reports_report_view", args=[report.name]), report.name
                ),
                report.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                filesizeformat(report.size),
                format_html(
                    link + " · " + link,
                    reverse("admin:reports_report_download", args=[report.name]),
                    "JSON",
                    reverse("admin:reports_report_csv", args=[report.name]),
                    "CSV",
                ),
            ]
            for report in selectors.report_files(settings.REPORTS_DIR)
        ]
        return super().get_context_data(
            **kwargs,
            reports_dir=settings.REPORTS_DIR,
            table={"headers": [_("File"), _("Written"), _("Size"), _("Download")], "rows": rows},
        )


def _readable_report(name: str):
    """The report called ``name`` and the one before it, read; Http404 if there is none."""
    report = selectors.report_file(settings.REPORTS_DIR, name)
    if report is None:
        raise Http404("No such report file.")
    try:
        figures = selectors.report_read(report)
    except (OSError, ValueError) as error:
        return report, None, None, str(error)
    before = readable.previous_report(settings.REPORTS_DIR, name)
    previous = None
    if before is not None:
        with contextlib.suppress(OSError, ValueError):
            previous = selectors.report_read(before)
    return report, figures, previous, None


class ReportPageView(UnfoldModelAdminViewMixin, TemplateView):
    """One report as a librarian reads it."""

    title = _("Library report")
    permission_required = ()
    template_name = "reports/admin/report_page.html"

    def has_permission(self):
        return can_read_all_circulation(self.request.user)

    def get_context_data(self, **kwargs):
        report, figures, previous, error = _readable_report(self.kwargs["name"])
        context = {"report": report, "error": error, "figures": None}
        if figures is not None:
            context.update(
                figures=readable.key_figures(figures, previous),
                generated_at=readable.moment(figures["generated_at"]),
                period_start=readable.moment(figures["period_start"]),
                previous_at=readable.moment(previous["generated_at"]) if previous else None,
                top_genres=figures["top_genres"],
                genre_chart=readable.genre_chart(figures),
            )
        return super().get_context_data(**kwargs, **context)


@admin.register(TaskResult)
class TaskResultAdmin(
    AdminInputGuardMixin, ReadOnlyAdminMixin, celery_results_admin.TaskResultAdmin, ModelAdmin
):
    show_full_result_count = False
    actions_list = ["generate_report", "open_report_files"]
    change_form_template = "reports/admin/task_change_form.html"

    def get_urls(self):
        report_urls = [
            path(
                "report-files/",
                self.admin_site.admin_view(ReportFilesView.as_view(model_admin=self)),
                name="reports_report_files",
            ),
            path(
                "report-files/<str:name>/view/",
                self.admin_site.admin_view(ReportPageView.as_view(model_admin=self)),
                name="reports_report_view",
            ),
            path(
                "report-files/<str:name>/csv/",
                self.admin_site.admin_view(self.report_csv_view),
                name="reports_report_csv",
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
        task_results = reverse("admin:django_celery_results_taskresult_changelist")
        self.message_user(
            request,
            format_html(
                "Report queued as task <code>{}</code>. It is built in the background: "
                "this page follows it and links to the report once it is written "
                '(all tasks: <a class="font-medium underline" href="{}">Task results</a>; '
                'all reports: <a class="font-medium underline" href="{}">Report files</a>).',
                task_id,
                task_results,
                reverse("admin:reports_report_files"),
            ),
            messages.SUCCESS,
        )
        task = TaskResult.objects.filter(task_id=task_id).only("pk").first()
        if task is None:
            return redirect(f"{task_results}?task_id={task_id}")
        return redirect("admin:django_celery_results_taskresult_change", task.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        task = None
        if self.object_id_is_valid(object_id):
            task = TaskResult.objects.filter(pk=object_id).first()
        if task is not None and task.task_name == selectors.GENERATE_REPORT_TASK:
            summary = readable.task_summary(task)
            if summary["file"]:
                summary["report_url"] = reverse("admin:reports_report_view", args=[summary["file"]])
            extra_context = {**(extra_context or {}), "report_task": summary}
        return super().change_view(request, object_id, form_url, extra_context)

    def report_csv_view(self, request, name: str):
        if not can_read_all_circulation(request.user):
            raise PermissionDenied
        report, figures, previous, error = _readable_report(name)
        if figures is None:
            raise Http404(error)
        response = HttpResponse(
            content_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{report.name[: -len(".json")]}.csv"'
            },
        )
        csv.writer(response).writerows(readable.report_csv_rows(figures, previous))
        return response

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
