"""Shared set-up for the benchmark scripts: production settings, accounts, timings.

The scripts run against whatever DATABASE_URL / REDIS_URL point at (see
docs/PERFORMANCE.md); they refuse SQLite, because the figures are about PostgreSQL.
Unless set, the environment is completed to production mode with HTTPS redirects off
(the benchmark speaks plain HTTP on 127.0.0.1) and DEBUG off.
"""

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    "DJANGO_ENV": "production",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_DEBUG": "0",
    "BORROW_RATE": "100000/hour",
    "LOG_LEVEL": "WARNING",
}

BENCH_LIBRARIAN = "bench-librarian"
BENCH_PATRON_PREFIX = "bench-patron-"


def setup(*, require_postgres: bool = True) -> None:
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    if require_postgres and connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to the PostgreSQL benchmark database (docs/PERFORMANCE.md).")


def figure(name: str, value, unit: str = "") -> None:
    """One result line: ``name: value unit``."""
    if isinstance(value, float):
        value = f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_librarian():
    """A staff account in the Librarians group, created once."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.roles import LIBRARIANS

    user, created = get_user_model().objects.get_or_create(
        username=BENCH_LIBRARIAN, defaults={"is_staff": True, "email": "bench@example.org"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=LIBRARIANS))
    return user


def admin_session(user):
    """A test client with an admin session for ``user``; the static files the admin's
    pages name are collected first (once per run), or rendering them fails."""
    from django.core.management import call_command
    from django.test import Client

    global _static_collected
    if not _static_collected:
        call_command("collectstatic", interactive=False, verbosity=0)
        _static_collected = True
    client = Client()
    client.force_login(user)
    return client


_static_collected = False


def busiest_patron():
    """The patron with the most loans in the data set, and that number: the longest lists."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from library.models import Borrow

    busiest = (
        Borrow.objects.order_by().values("user").annotate(n=Count("id")).order_by("-n").first()
    )
    return get_user_model().objects.get(pk=busiest["user"]), busiest["n"]


def bench_isbn(number: int) -> str:
    """A valid ISBN-13 in a range of its own (979-9…) that generated books never use."""
    from library.isbn import isbn13_check_digit

    first12 = f"9799{number:08d}"
    return first12 + isbn13_check_digit(first12)


def token_for(user) -> str:
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=user)
    return key


def psql_dsn() -> str:
    """DATABASE_URL in the form psql takes (postgres:// is fine, the Django scheme is not)."""
    url = os.environ["DATABASE_URL"]
    for scheme in ("postgresql://", "postgres://", "pgsql://"):
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    raise SystemExit("DATABASE_URL is not a PostgreSQL URL")


def psql_seconds(sql: str) -> float:
    """Run ``sql`` through psql once; the server times of its statements (\\timing), summed."""
    output = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", psql_dsn()],
        input="\\timing on\n" + sql,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(float(ms) for ms in re.findall(r"^Time: ([\d.]+) ms", output, re.M)) / 1000


def request(conn, method, path, token, body=None):
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
    except (http.client.HTTPException, OSError):
        # The server closed a kept-alive connection: reconnect once.
        conn.close()
        started = time.perf_counter()
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
    return response.status, data, time.perf_counter() - started
