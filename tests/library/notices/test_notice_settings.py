"""Notice and mail settings come from the environment, and bad values stop the start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s;"
    "print(json.dumps([s.NOTICE_OVERDUE_DAYS, s.NOTICE_DUE_SOON_DAYS, s.BLOCK_AFTER_OVERDUE_DAYS,"
    " s.DEFAULT_FROM_EMAIL, s.EMAIL_HOST, s.MAIL_DELIVERY_BACKEND]))"
)


def settings_with(**env):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_defaults_and_overrides():
    assert json.loads(settings_with().stdout)[:3] == [[1, 7, 14], 3, 28]
    done = settings_with(
        NOTICE_OVERDUE_DAYS="10, 2",
        NOTICE_DUE_SOON_DAYS="5",
        BLOCK_AFTER_OVERDUE_DAYS="40",
        DEFAULT_FROM_EMAIL="",
        EMAIL_HOST="",
    )
    assert json.loads(done.stdout) == [
        [2, 10],
        5,
        40,
        "Shelfwise library <library@localhost>",
        "localhost",
        "django.core.mail.backends.filebased.EmailBackend",
    ]


def test_production_delivers_over_smtp():
    done = settings_with(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="k" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
        EMAIL_HOST="smtp.example.org",
    )
    values = json.loads(done.stdout)
    assert values[4:] == ["smtp.example.org", "django.core.mail.backends.smtp.EmailBackend"]


@pytest.mark.parametrize("stages", ["0,7", "1,seven"])
def test_a_bad_overdue_stage_stops_the_start_and_says_which_setting(stages):
    done = settings_with(NOTICE_OVERDUE_DAYS=stages)
    assert done.returncode != 0
    assert "ImproperlyConfigured: NOTICE_OVERDUE_DAYS" in done.stderr
