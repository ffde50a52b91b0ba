"""Time the daily notices run on the benchmark library, then roll it back.

    DATABASE_URL=postgres://…/shelfwise_bench .venv/bin/python bench/notices.py --repeat 3

Each repetition runs ``services.notices_run`` (every kind and stage, in batches, the mail
rendered and queued) inside one transaction that is rolled back, so the shared data set
is left as it was. It prints how many notices and mails a run makes, its queries and
batches, and the median wall time.
"""

import argparse
import time

from common import figure, setup


class RolledBack(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=None)
    args = parser.parse_args()
    setup()

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from library import services
    from library.models import Borrow

    now = timezone.now()
    figure("open loans", Borrow.objects.open().count())
    figure("overdue loans", Borrow.objects.overdue(now).count())
    times = []
    for round_number in range(args.repeat):
        try:
            with transaction.atomic():
                started = time.perf_counter()
                if round_number == 0:
                    with CaptureQueriesContext(connection) as captured:
                        result = services.notices_run(now=now, batch=args.batch)
                    queries = len(captured)
                else:
                    result = services.notices_run(now=now, batch=args.batch)
                times.append(time.perf_counter() - started)
                raise RolledBack
        except RolledBack:
            pass
    summary = result.as_dict()
    for kind, count in sorted(summary["items"].items()):
        figure(f"notices {kind}", count)
    for kind, count in sorted(summary["emails"].items()):
        figure(f"mails {kind}", count)
    figure("batches", summary["batches"])
    figure("queries (first run)", queries)
    figure("run seconds (median)", sorted(times)[len(times) // 2], "s")


if __name__ == "__main__":
    main()
