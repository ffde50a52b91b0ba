"""A client generated from the live /schema/ works as it is, and its types hold.

As an integrator would: openapi-python-client (pinned in requirements-dev.txt) generates
``shelfwise_client`` from the schema a live server serves, mypy --strict checks the
scenario script against it, and the script runs the patron's and the librarian's flows
through that client only (tests/api/client_scenario.py). Nothing generated is kept: it
goes to the test's temporary directory.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult

from reports.tasks import generate_report
from tests.factories import (
    PASSWORD,
    AuthorFactory,
    BookFactory,
    BorrowFactory,
    LibrarianFactory,
    UserFactory,
)

pytestmark = [
    # serialized_rollback: the flush after a transactional test would otherwise drop the
    # Librarians and Auditors groups (a data migration) for every later test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCENARIO = Path(__file__).with_name("client_scenario.py")
BIN = Path(sys.executable).parent
# No formatter run on the generated code: it is read by mypy and Python, not by people.
GENERATOR_CONFIG = "post_hooks: []\n"


def _run(*command: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def generated_client(live_server, tmp_path) -> Path:
    generator = BIN / "openapi-python-client"
    if not generator.exists():
        pytest.fail("openapi-python-client is not installed (pip install -r requirements-dev.txt)")
    schema = tmp_path / "openapi.yaml"
    schema.write_bytes(httpx.get(f"{live_server.url}/schema/", timeout=30).content)
    config = tmp_path / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    package = tmp_path / "shelfwise_client"
    done = _run(
        str(generator),
        "generate",
        "--path",
        str(schema),
        "--output-path",
        str(package),
        "--meta",
        "none",
        "--config",
        str(config),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Anything the generator had to leave out would be a hole in the client.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    shutil.copy(SCENARIO, tmp_path / SCENARIO.name)
    return tmp_path


@pytest.fixture
def reports_run_at_once(monkeypatch, tmp_path, settings):
    """POST /reports/ builds the report in the server's thread, its state stored as a
    worker would store it, so the task status the client reads is SUCCESS."""
    settings.REPORTS_DIR = tmp_path / "reports"

    def apply_async(*, kwargs, task_id, **options):
        done = generate_report.apply(kwargs=kwargs, task_id=task_id)
        TaskResult.objects.filter(task_id=task_id).update(
            status=done.status, result=json.dumps(done.result), date_done=timezone.now()
        )
        return done

    monkeypatch.setattr(generate_report, "apply_async", apply_async)


def _library() -> tuple[str, str]:
    collins = AuthorFactory(name="Wilkie Collins")
    BookFactory(title="The Moonstone", author=collins, total_copies=2, genre="Mystery")
    BookFactory(title="The Woman in White", author=collins, genre="Mystery")
    # Every copy of Dracula is out, so a hold can be placed on it.
    dracula = BookFactory(title="Dracula", total_copies=1, genre="Gothic")
    BorrowFactory(book=dracula, user=UserFactory(username="mina"))
    patron = UserFactory(username="lucy")
    librarian = LibrarianFactory(username="abraham")
    return patron.username, librarian.username


def test_the_generated_client_type_checks_and_runs_both_flows(
    generated_client, live_server, reports_run_at_once
):
    patron, librarian = _library()
    env = {**os.environ, "PYTHONPATH": str(generated_client), "MYPYPATH": str(generated_client)}

    checked = _run(
        str(BIN / "mypy"),
        "--strict",
        "--no-incremental",
        "--cache-dir",
        str(generated_client / ".mypy_cache"),
        SCENARIO.name,
        cwd=generated_client,
        env=env,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    ran = _run(
        sys.executable,
        SCENARIO.name,
        live_server.url,
        patron,
        PASSWORD,
        librarian,
        PASSWORD,
        cwd=generated_client,
        env=env,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "flows passed" in ran.stdout
