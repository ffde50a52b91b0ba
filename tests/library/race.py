"""Race real threads against the database: each call on its own thread and connection."""

import threading
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import connection

from backoffice.core.errors import DomainError


def race(calls) -> Counter:
    """Start every call at the same instant, each on its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
            outcome = "ok"
        except DomainError as error:
            outcome = error.code
        except ValidationError:
            outcome = "invalid"
        except Exception as error:  # noqa: BLE001 - any other failure must show in the tally
            outcome = f"unexpected {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)
