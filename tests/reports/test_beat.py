import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from knox.models import AuthToken

from accounts.services import tokens_delete_expired
from accounts.tasks import delete_expired_tokens
from backoffice.celery import app
from tests.factories import UserFactory


def test_beat_schedule_runs_the_daily_report_the_cleanups_and_the_reaper():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    assert set(schedule) == {
        "reports.tasks.generate_report",
        "accounts.tasks.delete_expired_tokens",
        "accounts.tasks.delete_expired_rate_counters",
        "reports.tasks.reap_lost_report_tasks",
        "library.tasks.expire_holds",
        "library.tasks.anonymise_returned_loans",
        "library.tasks.send_notices",
        "library.tasks.deliver_mail",
    }
    notices = schedule["library.tasks.send_notices"]
    assert (notices.hour, notices.minute) == ({8}, {0})  # in TIME_ZONE (CELERY_TIMEZONE)
    assert schedule["library.tasks.deliver_mail"] == timedelta(minutes=1)
    report = schedule["reports.tasks.generate_report"]
    assert (report.hour, report.minute) == ({2}, {0})
    cleanup = schedule["accounts.tasks.delete_expired_tokens"]
    assert cleanup.minute == {0}
    assert cleanup.hour == set(range(24))
    counters = schedule["accounts.tasks.delete_expired_rate_counters"]
    assert counters.hour == set(range(24)) and len(counters.minute) == 1
    reaper = schedule["reports.tasks.reap_lost_report_tasks"]
    assert reaper.minute == set(range(0, 60, 5))
    assert schedule["library.tasks.expire_holds"] == timedelta(minutes=15)
    anonymise = schedule["library.tasks.anonymise_returned_loans"]
    assert (anonymise.hour, anonymise.minute) == ({3}, {30})
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE


def test_a_fresh_worker_process_finds_both_scheduled_tasks():
    """Autodiscovery, not this test module's imports, must register what beat sends."""
    script = (
        "import json, django; django.setup();"
        "from backoffice.celery import app; app.loader.import_default_modules();"
        "print(json.dumps(sorted(app.tasks)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    registered = set(json.loads(found.stdout.strip().splitlines()[-1]))

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered


@pytest.mark.django_db
def test_token_cleanup_deletes_only_expired_tokens():
    user = UserFactory()
    expired = [AuthToken.objects.create(user, expiry=timedelta(seconds=-s))[0] for s in (1, 3600)]
    live, _ = AuthToken.objects.create(user, expiry=timedelta(hours=1))
    never_expires, _ = AuthToken.objects.create(user, expiry=None)

    deleted = tokens_delete_expired()

    assert deleted == len(expired)
    remaining = set(AuthToken.objects.values_list("digest", flat=True))
    assert remaining == {live.digest, never_expires.digest}


@pytest.mark.django_db
def test_token_cleanup_task_reports_how_many_it_deleted():
    AuthToken.objects.create(UserFactory(), expiry=timedelta(minutes=-5))

    result = delete_expired_tokens.apply()

    assert result.state == "SUCCESS"
    assert result.result == 1
    assert not AuthToken.objects.exists()
