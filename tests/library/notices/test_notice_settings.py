"""Notice and mail settings come from the environment, and bad values stop the start."""

import json

import pytest

from tests.settings_process import settings_in_new_process

SHOWN = (
    "json.dumps([settings.NOTICE_OVERDUE_DAYS, settings.NOTICE_DUE_SOON_DAYS,"
    " settings.BLOCK_AFTER_OVERDUE_DAYS, settings.DEFAULT_FROM_EMAIL, settings.EMAIL_HOST,"
    " settings.MAIL_DELIVERY_BACKEND])"
)


def settings_with(**env):
    return settings_in_new_process(SHOWN, env)


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
