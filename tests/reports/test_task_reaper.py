"""A report task whose worker died ends in FAILURE within minutes, and says what to do.

The rows are what a worker killed with SIGKILL leaves behind: STARTED, a date_started in
the past, the name of a worker that no longer answers. The ping is real, through the
suite's broker; nobody answers for the made-up names.
"""

import json
import re
import uuid
from datetime import timedelta

import pytest
from celery import states
from django.utils import timezone
from django_celery_results.models import TaskResult

from reports.reaper import WORKER_LOST_MESSAGE, report_tasks_reap
from reports.selectors import GENERATE_REPORT_TASK
from reports.tasks import reap_lost_report_tasks
from tests.reports.test_worker import filesystem_broker, start_worker  # noqa: F401 - fixtures
from tests.settings_process import settings_in_new_process

LOST_ERROR = f"WorkerLostError: {WORKER_LOST_MESSAGE}"


@pytest.fixture(autouse=True)
def quick_ping(settings):
    settings.REPORT_TASK_STALE_MINUTES = 10
    settings.REPORT_TASK_PING_SECONDS = 1


def started_task(*, minutes_ago: float, worker: str = "celery@a-machine-that-is-gone"):
    task = TaskResult.objects.create(
        task_id=str(uuid.uuid4()),
        task_name=GENERATE_REPORT_TASK,
        status=states.STARTED,
        worker=worker,
        content_type="application/json",
        content_encoding="utf-8",
    )
    # date_started is what the worker recorded; update() leaves it exactly as given.
    TaskResult.objects.filter(pk=task.pk).update(
        date_started=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return task


@pytest.mark.django_db
def test_the_beat_job_fails_a_task_whose_worker_is_gone(librarian_client):
    lost = started_task(minutes_ago=60)

    assert reap_lost_report_tasks.apply().result == 1

    lost.refresh_from_db()
    assert lost.status == states.FAILURE
    assert lost.date_done is not None
    status = librarian_client.get(f"/reports/tasks/{lost.task_id}/").data
    assert status["state"] == "FAILURE"
    assert status["error"] == LOST_ERROR
    assert "date_done" in status


@pytest.mark.django_db
def test_the_status_endpoint_does_not_wait_for_the_beat_job(librarian_client):
    lost = started_task(minutes_ago=11)

    status = librarian_client.get(f"/reports/tasks/{lost.task_id}/")

    assert status.status_code == 200
    assert status.data["state"] == "FAILURE"
    assert status.data["error"] == LOST_ERROR


@pytest.mark.django_db
def test_a_task_started_recently_is_left_running(librarian_client):
    running = started_task(minutes_ago=2)

    assert report_tasks_reap() == 0
    assert librarian_client.get(f"/reports/tasks/{running.task_id}/").data["state"] == "STARTED"


@pytest.mark.django_db
def test_when_the_broker_cannot_be_asked_nothing_is_declared_dead(switch_broker):
    switch_broker("redis://127.0.0.1:1/0", {})  # nothing listens on port 1
    lost = started_task(minutes_ago=60)

    assert report_tasks_reap() == 0

    lost.refresh_from_db()
    assert lost.status == states.STARTED


@pytest.mark.django_db
def test_finished_and_other_tasks_are_not_touched():
    done = started_task(minutes_ago=60)
    TaskResult.objects.filter(pk=done.pk).update(status=states.SUCCESS)
    other = started_task(minutes_ago=60)
    TaskResult.objects.filter(pk=other.pk).update(task_name="accounts.tasks.something_else")

    assert report_tasks_reap() == 0
    assert set(TaskResult.objects.values_list("status", flat=True)) == {
        states.SUCCESS,
        states.STARTED,
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_slow_task_whose_worker_answers_is_left_running(
    librarian_client,
    start_worker,  # noqa: F811
    filesystem_broker,  # noqa: F811
):
    worker = start_worker(queue="celery", extra_env={})
    worker.wait_until_ready()
    name = re.search(r"(reports-test-\w+@\S+) ready\.", worker.output()).group(1)
    slow = started_task(minutes_ago=60, worker=name)
    lost = started_task(minutes_ago=60)

    assert report_tasks_reap() == 1

    slow.refresh_from_db()
    lost.refresh_from_db()
    assert (slow.status, lost.status) == (states.STARTED, states.FAILURE)


def settings_with(env: dict[str, str]) -> dict:
    """Some settings as a fresh process computes them from ``env``."""
    found = settings_in_new_process(
        "json.dumps({'transport': settings.CELERY_BROKER_TRANSPORT_OPTIONS,"
        " 'stale': settings.REPORT_TASK_STALE_MINUTES})",
        {"REDIS_URL": None, "DATABASE_URL": None, **env},
    )
    assert found.returncode == 0, found.stderr
    return json.loads(found.stdout.strip().splitlines()[-1])


def test_on_redis_a_lost_task_goes_back_to_the_queue_after_minutes_not_an_hour():
    default = settings_with({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    tuned = settings_with(
        {"REDIS_URL": "redis://127.0.0.1:6379/0", "CELERY_VISIBILITY_TIMEOUT": "120"}
    )

    assert default["transport"]["visibility_timeout"] == 300
    assert tuned["transport"]["visibility_timeout"] == 120
    # The reaper waits longer than the broker, so a live worker gets the task back first.
    assert default["stale"] * 60 > default["transport"]["visibility_timeout"]
