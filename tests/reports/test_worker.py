"""End to end with a real ``celery worker`` process: POST, poll the status URL, GET.

The worker is a subprocess sharing this test's database (the SQLite test database is a
file, see conftest.py; on PostgreSQL it is ``test_<name>``) and a private broker: a
temporary folder for the embedded filesystem broker, a unique queue on Redis.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import skip_or_fail
from tests.factories import BookFactory, BorrowFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORKER_READY_TIMEOUT = 90
TASK_TIMEOUT = 60


def database_url_for_subprocess() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            skip_or_fail(
                "the SQLite test database is in memory, so a worker process cannot share it; "
                "tests/reports/conftest.py puts it in a file when tests/reports sets up the "
                "session's database (run it on its own, or move that fixture to tests/conftest.py)"
            )
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"
    pytest.fail(f"no worker database URL for {connection.vendor}")


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_until_ready(self) -> float:
        started = time.monotonic()
        while time.monotonic() - started < WORKER_READY_TIMEOUT:
            if " ready." in self.output():
                return time.monotonic() - started
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"the worker was not ready in {WORKER_READY_TIMEOUT} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            # Its own session: the signal reaches the worker and nothing else.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


@pytest.fixture
def start_worker(tmp_path, settings):
    """Starts ``celery -A backoffice worker`` with the given environment; always stopped."""
    workers: list[Worker] = []
    settings.REPORTS_DIR = tmp_path / "reports"

    def start(*, queue: str, extra_env: dict[str, str]) -> Worker:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "DATABASE_URL", "REPORTS_DIR", "SHELFWISE_VAR_DIR"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="backoffice.settings",
            DATABASE_URL=database_url_for_subprocess(),
            REPORTS_DIR=str(settings.REPORTS_DIR),
            SHELFWISE_VAR_DIR=str(tmp_path / "var"),
        )
        env.update(extra_env)
        log = tmp_path / f"worker-{len(workers)}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "backoffice",
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                    f"--queues={queue}",
                    f"--hostname=reports-test-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process, log)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def post_and_wait_for_success(client) -> tuple[dict, float]:
    """POST /reports/, then poll the status URL until the task finishes, either way."""
    started = time.monotonic()
    response = client.post("/reports/")
    assert response.status_code == 202, response.content
    status_url = response.json()["status_url"]
    while True:
        status = client.get(status_url).json()
        if status["state"] in {"SUCCESS", "FAILURE"}:
            return status, time.monotonic() - started
        if time.monotonic() - started > TASK_TIMEOUT:
            pytest.fail(f"the report task was still {status['state']} after {TASK_TIMEOUT} s")
        time.sleep(0.1)


def run_end_to_end(client, worker: Worker, broker: str) -> None:
    book = BookFactory(total_copies=2)
    BorrowFactory(book=book)
    startup = worker.wait_until_ready()

    status, elapsed = post_and_wait_for_success(client)

    print(
        f"\n[{broker} broker, {connection.vendor}] worker ready in {startup:.2f} s; "
        f"POST /reports/ -> SUCCESS in {elapsed:.2f} s"
    )
    assert status["state"] == "SUCCESS", f"{status}\n{worker.output()}"
    latest = client.get("/reports/")
    assert latest.status_code == 200
    report = latest.json()
    assert report["file"] == status["file"]
    assert report["total_books"] == {"titles": 1, "copies": 2}
    assert report["books_currently_borrowed"] == 1
    assert (Path(settings.REPORTS_DIR) / status["file"]).is_file()


@pytest.fixture
def filesystem_broker(switch_broker, tmp_path):
    """The embedded broker in a private folder; workers find it through SHELFWISE_VAR_DIR."""
    # The same layout settings.py derives from SHELFWISE_VAR_DIR.
    broker_dir = tmp_path / "var" / "broker"
    for folder in ("queue", "processed", "control"):
        (broker_dir / folder).mkdir(parents=True)
    switch_broker(
        "filesystem://",
        {
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "store_processed": False,
        },
    )


def test_report_end_to_end_on_the_filesystem_broker(
    librarian_client, start_worker, filesystem_broker
):
    worker = start_worker(queue="celery", extra_env={})

    run_end_to_end(librarian_client, worker, "filesystem")


def test_unwritable_reports_dir_fails_the_task_with_its_reason(
    librarian_client, start_worker, filesystem_broker, tmp_path
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    worker = start_worker(queue="celery", extra_env={"REPORTS_DIR": str(blocker / "reports")})
    worker.wait_until_ready()

    status, _ = post_and_wait_for_success(librarian_client)

    assert status["state"] == "FAILURE", worker.output()
    assert status["error"].startswith(
        f"ReportDirectoryError: Cannot write the report into {blocker / 'reports'}"
    )
    assert "REPORTS_DIR" in status["error"]
    assert "file" not in status
    assert librarian_client.get("/reports/").status_code == 404


@pytest.fixture
def redis_url() -> str:
    # Not REDIS_URL: that would move the whole suite's cache and broker to Redis.
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        skip_or_fail("Redis is not configured (set TEST_REDIS_URL=redis://...)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis at {url} is unreachable: {error}")
    return url


@pytest.mark.redis
def test_report_end_to_end_on_redis(librarian_client, start_worker, switch_broker, redis_url):
    import redis

    # A queue of its own: another worker on this Redis must not take the test's task.
    queue = f"reports-test-{uuid.uuid4().hex}"
    switch_broker(redis_url, {"visibility_timeout": 3600}, default_queue=queue)
    worker = start_worker(queue=queue, extra_env={"REDIS_URL": redis_url})
    try:
        run_end_to_end(librarian_client, worker, "redis")
    finally:
        worker.stop()
        redis.Redis.from_url(redis_url).delete(queue, f"_kombu.binding.{queue}")
