"""The borrow throttle: BORROW_RATE requests per patron per window, counted atomically.

Parallel requests are the point: the count and the check are one step (a Redis script, or
one upsert statement), so 40 simultaneous borrows under a limit of 20 let exactly 20
through, on the database counter and on Redis alike. Redis unreachable: the throttle fails
open, and the borrow rules themselves still hold.
"""

import logging
import os
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from accounts.tasks import delete_expired_rate_counters
from backoffice.core.models import RateCounter
from library.models import Borrow
from tests.conftest import client_for, skip_or_fail
from tests.factories import BookFactory, UserFactory
from tests.servers import PrivateRedis

PARALLEL = 40
LIMIT = 20


@pytest.fixture
def key_prefix(settings) -> str:
    # Counters of this test only: ids repeat between test runs, Redis keys would not.
    settings.THROTTLE_KEY_PREFIX = f"test-throttle-{uuid.uuid4().hex}:"
    return settings.THROTTLE_KEY_PREFIX


@pytest.fixture
def database_counter(settings, key_prefix):
    settings.THROTTLE_REDIS_URL = ""


@pytest.fixture
def redis_counter(settings, key_prefix):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        skip_or_fail("Redis is not configured (set TEST_REDIS_URL=redis://...)")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis at {url} is unreachable: {error}")
    settings.THROTTLE_REDIS_URL = url
    # The same Redis as the cache, too, so the throttle this replaced is measured on it.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    yield url
    for key in client.scan_iter(f"{key_prefix}*"):
        client.delete(key)
    client.close()


def fire_in_parallel(patron, books) -> Counter:
    """One borrow per book, all released at the same instant, each on its own thread."""
    clients = [client_for(patron) for _ in books]
    barrier = threading.Barrier(len(books))
    statuses: list[int] = []
    lock = threading.Lock()

    def borrow(client, book):
        try:
            barrier.wait(timeout=30)
            status = client.post("/borrow/", {"book": book.pk}, format="json").status_code
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=borrow, args=pair) for pair in zip(clients, books, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "store",
    ["database_counter", pytest.param("redis_counter", marks=pytest.mark.redis)],
)
def test_parallel_borrows_pass_exactly_the_limit(request, settings, store):
    request.getfixturevalue(store)
    settings.BORROW_RATE = f"{LIMIT}/hour"
    settings.MAX_OPEN_BORROWS = PARALLEL  # only the throttle may refuse here
    patron = UserFactory()
    books = BookFactory.create_batch(PARALLEL)

    statuses = fire_in_parallel(patron, books)

    assert statuses == Counter({201: LIMIT, 429: PARALLEL - LIMIT})
    assert Borrow.objects.filter(user=patron).count() == LIMIT


@pytest.mark.django_db
def test_the_refusal_says_when_the_patron_can_borrow_again(settings, database_counter):
    settings.TIME_ZONE = "Europe/London"
    settings.BORROW_RATE = "3/hour"
    patron = UserFactory()
    client = client_for(patron)
    books = BookFactory.create_batch(5)
    start = datetime(2026, 3, 2, 13, 44, 30, tzinfo=ZoneInfo("Europe/London"))

    with time_machine.travel(start, tick=False) as clock:
        for book in books[:3]:
            assert client.post("/borrow/", {"book": book.pk}, format="json").status_code == 201
        clock.shift(timedelta(minutes=48))
        refused = client.post("/borrow/", {"book": books[3].pk}, format="json")
        clock.shift(timedelta(minutes=12))
        after_the_hour = client.post("/borrow/", {"book": books[4].pk}, format="json")

    assert refused.status_code == 429
    assert refused.data == {
        "detail": (
            "You have made 3 borrow requests in the last hour, the most allowed; "
            "you can borrow again in about 12 minutes (at 14:44)."
        ),
        "code": "throttled",
    }
    assert int(refused["Retry-After"]) == 12 * 60
    assert after_the_hour.status_code == 201
    assert Borrow.objects.filter(user=patron).count() == 4


@pytest.mark.django_db
def test_each_patron_has_a_counter_of_their_own(settings, database_counter):
    settings.BORROW_RATE = "1/hour"
    book, other_book = BookFactory.create_batch(2)
    first, second = client_for(UserFactory()), client_for(UserFactory())

    assert first.post("/borrow/", {"book": book.pk}, format="json").status_code == 201
    assert first.post("/borrow/", {"book": other_book.pk}, format="json").status_code == 429
    assert second.post("/borrow/", {"book": other_book.pk}, format="json").status_code == 201


@pytest.mark.django_db
def test_the_hourly_cleanup_deletes_only_ended_windows(settings, database_counter):
    settings.BORROW_RATE = "5/hour"
    book = BookFactory()
    client = client_for(UserFactory())
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        client.post("/borrow/", {"book": book.pk}, format="json")
    ended = RateCounter.objects.get()
    live = RateCounter.objects.create(key="live", count=1, window_ends_ms=2**62)

    with time_machine.travel(datetime(2026, 3, 2, 10, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        deleted = delete_expired_rate_counters.apply().result

    assert deleted == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == [live.key]
    assert not RateCounter.objects.filter(key=ended.key).exists()


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_down_the_throttle_fails_open_and_the_rules_still_hold(
    settings, key_prefix, private_redis, caplog
):
    settings.THROTTLE_REDIS_URL = private_redis.url
    settings.BORROW_RATE = "1/hour"
    book, other_book = BookFactory.create_batch(2)
    client = client_for(UserFactory())
    assert client.post("/borrow/", {"book": book.pk}, format="json").status_code == 201
    assert client.post("/borrow/", {"book": other_book.pk}, format="json").status_code == 429

    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="backoffice.core.throttling"):
        unthrottled = client.post("/borrow/", {"book": other_book.pk}, format="json")
        again = client.post("/borrow/", {"book": book.pk}, format="json")

    assert unthrottled.status_code == 201
    assert again.status_code == 409  # the database still refuses a second loan of a title
    assert again.data["code"] == "already_borrowed"
    assert "Redis is unreachable" in caplog.text
