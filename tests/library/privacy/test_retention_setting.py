"""LOAN_HISTORY_RETENTION_DAYS: unset keeps loans; a number of days; anything else stops."""

import subprocess

import pytest

from tests.settings_process import settings_in_new_process


def settings_with(value: str | None) -> subprocess.CompletedProcess:
    return settings_in_new_process(
        "settings.LOAN_HISTORY_RETENTION_DAYS", {"LOAN_HISTORY_RETENTION_DAYS": value}
    )


@pytest.mark.parametrize(("value", "read"), [(None, "None"), ("", "None"), ("30", "30")])
def test_the_setting_reads_unset_as_keep_and_a_number_as_days(value, read):
    result = settings_with(value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == read


@pytest.mark.parametrize("value", ["0", "-5", "thirty"])
def test_a_retention_that_is_not_a_positive_number_of_days_stops_the_start(value):
    result = settings_with(value)
    assert result.returncode != 0
    assert "LOAN_HISTORY_RETENTION_DAYS" in result.stderr
