import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django_celery_results.models import GroupResult, TaskResult
from unfold.admin import ModelAdmin as UnfoldModelAdmin

from reports.services import report_write
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BACKEND = "accounts.backends.RoleAwareModelBackend"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def two_reports(reports_dir):
    older = report_write({"generated_at": "2025-01-01T08:00:00+00:00", "n": 1}, reports_dir)
    newer = report_write({"generated_at": "2025-01-02T08:00:00+00:00", "n": 2}, reports_dir)
    return older, newer


def test_task_results_use_the_themed_read_only_admin(librarian):
    for model in (TaskResult, GroupResult):
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, UnfoldModelAdmin)
    request = type("Request", (), {"user": librarian})()
    task_admin = admin.site._registry[TaskResult]
    assert not task_admin.has_add_permission(request)
    assert not task_admin.has_change_permission(request)
    assert not task_admin.has_delete_permission(request)


def test_librarian_sees_the_task_results_list(librarian):
    TaskResult.objects.create(task_id="abc", task_name="reports.tasks.generate_report")

    response = logged_in(librarian).get(
        reverse("admin:django_celery_results_taskresult_changelist")
    )

    assert response.status_code == 200
    assert b"reports.tasks.generate_report" in response.content


@pytest.mark.parametrize("role", ["librarian", "auditor"])
def test_report_files_page_lists_newest_first(request, role, two_reports):
    older, newer = two_reports

    response = logged_in(request.getfixturevalue(role)).get(reverse("admin:reports_report_files"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(newer.name) < page.index(older.name)
    assert reverse("admin:reports_report_download", args=[newer.name]) in page


def test_report_files_page_without_reports_says_so(librarian, reports_dir):
    response = logged_in(librarian).get(reverse("admin:reports_report_files"))

    assert response.status_code == 200
    assert b"No report has been written" in response.content


def test_report_file_downloads_as_an_attachment(auditor, two_reports):
    _, newer = two_reports

    response = logged_in(auditor).get(reverse("admin:reports_report_download", args=[newer.name]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert f'attachment; filename="{newer.name}"' == response["Content-Disposition"]
    assert b"".join(response.streaming_content) == newer.read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "%2E%2E",
        "notes.json",
        "report_20990101_000000.json",
        ".report_x.tmp",
    ],
)
def test_download_serves_only_existing_report_files(librarian, reports_dir, two_reports, name):
    (reports_dir / "notes.json").write_text("{}")
    (reports_dir / ".report_x.tmp").write_text("{}")
    url = reverse("admin:reports_report_download", args=["PLACEHOLDER"]).replace(
        "PLACEHOLDER", name
    )

    response = logged_in(librarian).get(url)

    assert response.status_code == 404


def test_a_path_never_reaches_the_download_view(librarian, two_reports):
    # A decoded "/" does not match the file-name route at all; the admin's own catch-all
    # answers (a redirect to the change view of a missing task), never a file.
    url = reverse("admin:reports_report_files") + "..%2F..%2Fbackoffice%2Fsettings.py/"

    response = logged_in(librarian).get(url, follow=True)

    assert b"SECRET_KEY" not in response.content
    assert response.get("Content-Disposition") is None


def test_download_does_not_follow_a_symlink_out_of_the_directory(librarian, reports_dir, tmp_path):
    reports_dir.mkdir()
    secret = tmp_path / "secret.json"
    secret.write_text('{"password": "x"}')
    (reports_dir / "report_20250101_000000.json").symlink_to(secret)

    response = logged_in(librarian).get(
        reverse("admin:reports_report_download", args=["report_20250101_000000.json"])
    )

    assert response.status_code == 404


def test_staff_without_a_role_is_refused(reports_dir, two_reports):
    _, newer = two_reports
    client = logged_in(UserFactory(is_staff=True))

    assert client.get(reverse("admin:reports_report_files")).status_code == 403
    download = reverse("admin:reports_report_download", args=[newer.name])
    assert client.get(download).status_code == 403


def test_patrons_and_visitors_are_sent_to_the_admin_login(patron, two_reports):
    _, newer = two_reports
    for client in (Client(), logged_in(patron)):
        for url in (
            reverse("admin:reports_report_files"),
            reverse("admin:reports_report_download", args=[newer.name]),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
