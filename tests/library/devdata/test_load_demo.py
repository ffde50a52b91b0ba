"""load_demo: demo data and accounts with published passwords, in development only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from library.devdata.demo import DemoRefused, accounts_create, demo_load
from library.models import Book, Borrow, Hold
from library.services.copies import invariants_broken

pytestmark = pytest.mark.django_db


def test_load_demo_is_refused_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="development only"):
        call_command("load_demo")

    assert not get_user_model().objects.filter(username="admin").exists()
    assert not Book.objects.exists()


def test_the_demo_loader_refuses_whoever_calls_it_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(DemoRefused):
        demo_load()
    with pytest.raises(DemoRefused):
        accounts_create()

    assert not get_user_model().objects.exists()


def test_load_demo_runs_in_development(capsys):
    call_command("load_demo")

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("admin-shelfwise")
    assert Book.objects.exists()
    assert "admin-shelfwise" in capsys.readouterr().out


def test_the_demo_library_has_renewed_loans_and_holds_in_every_state_a_desk_meets():
    call_command("load_demo")

    assert Borrow.objects.filter(renewals__gt=0).count() == 8
    assert Hold.objects.waiting().exists()
    assert Hold.objects.ready().filter(user__username="alice").exists()
    # Made through the services: the copy ledger balances to the copy.
    assert invariants_broken(strict=True) == []
    assert Hold.history.filter(history_change_reason="Copy returned: ready for pickup").exists()


def test_manage_py_load_demo_exits_with_the_reason_under_django_env_production(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="shelfwise.example",
        SHELFWISE_VAR_DIR=str(tmp_path),
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "CommandError" in result.stderr and "development only" in result.stderr
    assert "admin-shelfwise" not in result.stdout
    assert not (tmp_path / "db.sqlite3").exists()  # refused before touching a database
