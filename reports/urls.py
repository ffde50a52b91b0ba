from django.urls import path

from .api import ReportTaskView, ReportView

urlpatterns = [
    path("", ReportView.as_view(), name="reports"),
    # str, not uuid: a malformed id must get the API's JSON 404, not Django's HTML one.
    path("tasks/<str:task_id>/", ReportTaskView.as_view(), name="report-task"),
]
