import json
import time
import uuid

import pytest
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError as BrokerError

from reports.selectors import GENERATE_REPORT_TASK
from reports.serializers import ReportSerializer
from reports.services import report_write

pytestmark = pytest.mark.django_db

REPORTS = "/reports/"


def task_url(task_id) -> str:
    return f"/reports/tasks/{task_id}/"


def stored_task(status: str, result=None, task_name=GENERATE_REPORT_TASK) -> TaskResult:
    return TaskResult.objects.create(
        task_id=str(uuid.uuid4()),
        task_name=task_name,
        status=status,
        result=json.dumps(result),
        content_type="application/json",
        content_encoding="utf-8",
    )


# --- Who may do what ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", REPORTS), ("post", REPORTS), ("get", task_url(uuid.uuid4()))],
)
def test_anonymous_gets_401(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", REPORTS), ("post", REPORTS), ("get", task_url(uuid.uuid4()))],
)
def test_patron_gets_403(patron_client, method, path, published):
    response = getattr(patron_client, method)(path)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert published == []


def test_auditor_reads_but_cannot_generate(auditor_client, reports_dir, published):
    from reports.selectors import report_build

    report_write({**report_build(), "generated_at": "2025-01-01T00:00:00+00:00"}, reports_dir)

    assert auditor_client.get(REPORTS).status_code == 200
    response = auditor_client.post(REPORTS)

    assert response.status_code == 403
    assert response.json()["detail"] == "Only librarians can generate reports."
    assert published == []
    assert not TaskResult.objects.exists()


def test_auditor_reads_task_states(auditor_client):
    task = stored_task("STARTED")

    response = auditor_client.get(task_url(task.task_id))

    assert response.status_code == 200
    assert response.json() == {"task_id": task.task_id, "state": "STARTED"}


# --- POST /reports/ -------------------------------------------------------------------


def test_librarian_queues_a_report_after_commit(
    librarian, librarian_client, broker_up, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = librarian_client.post(REPORTS)
        assert published == [], "nothing is sent before the transaction commits"

    assert response.status_code == 202
    body = response.json()
    task_id = body["task_id"]
    assert str(uuid.UUID(task_id)) == task_id
    assert body["status_url"] == f"http://testserver/reports/tasks/{task_id}/"
    assert response["Location"] == body["status_url"]

    for callback in callbacks:
        callback()
    assert len(published) == 1
    assert published[0]["task_id"] == task_id
    assert published[0]["kwargs"] == {"requested_by_id": librarian.pk}
    assert published[0]["retry_policy"]["max_retries"] <= 1, "a down broker must not hang"

    status = librarian_client.get(body["status_url"])
    assert status.status_code == 200
    assert status.json() == {"task_id": task_id, "state": "PENDING"}


def test_broker_unreachable_gives_503_quickly(librarian_client, switch_broker, published):
    switch_broker("redis://127.0.0.1:1/0", {})  # nothing listens on port 1

    started = time.monotonic()
    response = librarian_client.post(REPORTS)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["code"] == "broker_unavailable"
    assert response.json()["detail"]
    assert response["Retry-After"]
    assert elapsed < 10
    assert published == []
    assert not TaskResult.objects.exists(), "no task is promised when none can run"


def test_unusable_filesystem_broker_folder_gives_503(
    librarian_client, switch_broker, tmp_path, published
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    folder = str(blocker / "queue")
    switch_broker("filesystem://", {"data_folder_in": folder, "data_folder_out": folder})

    response = librarian_client.post(REPORTS)

    assert response.status_code == 503
    assert response.json()["code"] == "broker_unavailable"
    assert published == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publish_failure_gives_503_and_marks_the_task_failed(
    librarian_client, broker_up, monkeypatch
):
    """The broker passed the check but drops the connection when the task is sent."""
    from reports.tasks import generate_report

    def broker_went_away(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(generate_report, "apply_async", broker_went_away)

    response = librarian_client.post(REPORTS)

    assert response.status_code == 503
    assert response.json()["code"] == "broker_unavailable"
    task = TaskResult.objects.get()
    assert task.status == "FAILURE"


def test_publish_failure_after_a_deferred_commit_shows_as_failed_task(
    librarian_client, broker_up, monkeypatch, django_capture_on_commit_callbacks
):
    """Inside a transaction the 202 is already decided; the task's state tells the truth."""
    from reports.tasks import generate_report

    def broker_went_away(*args, **kwargs):
        raise BrokerError("Connection refused.")

    monkeypatch.setattr(generate_report, "apply_async", broker_went_away)

    with django_capture_on_commit_callbacks(execute=True):
        response = librarian_client.post(REPORTS)

    assert response.status_code == 202
    status = librarian_client.get(response.json()["status_url"]).json()
    assert status["state"] == "FAILURE"
    assert status["error"].startswith("BrokerUnavailable: The task queue is unreachable")


# --- GET /reports/ --------------------------------------------------------------------


def test_no_report_yet_is_a_404_with_a_message(librarian_client, reports_dir):
    response = librarian_client.get(REPORTS)

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "no_report"
    assert body["detail"].startswith("No report has been generated yet")


def test_latest_report_is_returned_with_its_file_name(auditor_client, reports_dir):
    from reports.selectors import report_build

    report_write({**report_build(), "generated_at": "2025-01-01T00:00:00+00:00"}, reports_dir)
    newest = report_write(report_build(), reports_dir)

    response = auditor_client.get(REPORTS)

    assert response.status_code == 200
    body = response.json()
    assert body == {"file": newest.name, **json.loads(newest.read_text())}
    assert set(body) == set(ReportSerializer().fields), "the schema documents every key"


def test_unreadable_latest_report_is_a_503_not_a_crash(librarian_client, reports_dir):
    reports_dir.mkdir()
    (reports_dir / "report_20250101_000000.json").write_text('{"truncated": ')

    response = librarian_client.get(REPORTS)

    assert response.status_code == 503
    assert response.json()["code"] == "report_unreadable"


# --- GET /reports/tasks/{id}/ ---------------------------------------------------------


def test_successful_task_shows_its_file(librarian_client):
    task = stored_task("SUCCESS", {"file": "report_20250101_000000.json"})

    body = librarian_client.get(task_url(task.task_id)).json()

    assert body["state"] == "SUCCESS"
    assert body["file"] == "report_20250101_000000.json"
    assert "error" not in body
    assert body["date_done"]


def test_failed_task_shows_its_error(librarian_client):
    task = stored_task(
        "FAILURE",
        {
            "exc_type": "ReportDirectoryError",
            "exc_message": ["Cannot write the report into /srv/reports (Permission denied)."],
            "exc_module": "reports.services",
        },
    )

    body = librarian_client.get(task_url(task.task_id)).json()

    assert body["state"] == "FAILURE"
    assert body["error"] == (
        "ReportDirectoryError: Cannot write the report into /srv/reports (Permission denied)."
    )
    assert "file" not in body


def test_task_id_is_matched_case_insensitively(librarian_client):
    task = stored_task("PENDING")

    response = librarian_client.get(task_url(task.task_id.upper()))

    assert response.status_code == 200
    assert response.json()["task_id"] == task.task_id


@pytest.mark.parametrize(
    "task_id",
    [
        "not-a-uuid",
        "..",
        "1" * 5000,
        "' OR 1=1 --",
        "%00",
        "😀",
        str(uuid.uuid4()),  # well formed, never issued
    ],
)
def test_unknown_or_malformed_task_id_is_a_json_404(librarian_client, task_id):
    response = librarian_client.get(task_url(task_id))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_other_tasks_are_not_visible_through_the_reports_endpoint(librarian_client):
    cleanup = stored_task("SUCCESS", 3, task_name="accounts.tasks.delete_expired_tokens")

    assert librarian_client.get(task_url(cleanup.task_id)).status_code == 404


# --- Schema ---------------------------------------------------------------------------


def test_schema_documents_the_reports_endpoints(api_client):
    response = api_client.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert {"get", "post"} <= set(paths["/reports/"])
    assert {"200", "404"} <= set(paths["/reports/"]["get"]["responses"])
    assert {"202", "403", "503"} <= set(paths["/reports/"]["post"]["responses"])
    assert {"200", "404"} <= set(paths["/reports/tasks/{task_id}/"]["get"]["responses"])
