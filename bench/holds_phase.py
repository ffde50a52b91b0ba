"""bench/load.py's holds phase: a one-copy title per client, a borrower and a holder.

Each cycle: a patron borrows the one copy, another places a hold, the copy comes back and
is trapped for the hold, the holder collects it and returns it (five requests).
"""

import http.client
import json
import time

import common
from common import request


def holds_setup(clients: int):
    """A holder patron and a one-copy title per client, for the holds phase."""
    from django.contrib.auth import get_user_model

    from library import services
    from library.models import Author, Book, Borrow, Hold

    User = get_user_model()
    librarian = common.bench_librarian()
    author, _ = Author.objects.get_or_create(name="Bench Holds Author")
    holders, books = [], []
    for number in range(1, clients + 1):
        holder, created = User.objects.get_or_create(
            username=f"{common.BENCH_PATRON_PREFIX}holder-{number:02d}",
            defaults={"email": f"bench-holder-{number}@example.org"},
        )
        if created:
            holder.set_unusable_password()
            holder.save(update_fields=["password"])
        isbn = common.bench_isbn(900_000 + number)
        book = Book.objects.filter(isbn=isbn).first() or services.book_create(
            actor=librarian,
            title=f"Bench hold title {number:02d}",
            author=author,
            isbn=isbn,
            genre="Bench",
            total_copies=1,
        )
        # Whatever an interrupted run left: no open hold, no open loan, the copy on the shelf.
        for hold_id in Hold.objects.open().filter(book=book).values_list("id", flat=True):
            services.hold_cancel(hold_id=hold_id, actor=librarian)
        for borrow_id in Borrow.objects.open().filter(book=book).values_list("id", flat=True):
            services.borrow_return(borrow_id=borrow_id, actor=librarian)
        holders.append(holder)
        books.append(book.pk)
    return holders, books


def holds_cycle_client(phase, port, pair, deadline, rng, pool) -> None:
    """A patron borrows the one copy, another places a hold, the copy comes back and is
    trapped for the hold, the holder collects it and returns it: five requests."""
    borrower, holder, book = pair
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    steps = [
        ("borrow", "POST", "/borrow/", borrower, {"book": book}, 201),
        ("place_hold", "POST", "/holds/", holder, {"book": book}, 201),
        ("trapping_return", "PUT", "/borrow/{loan}/return/", borrower, None, 200),
        ("holder_borrow", "POST", "/borrow/", holder, {"book": book}, 201),
        ("holder_return", "PUT", "/borrow/{loan}/return/", holder, None, 200),
    ]
    while time.perf_counter() < deadline:
        total, loan = 0.0, None
        for kind, method, path, token, body, expected in steps:
            status, data, seconds = request(conn, method, path.format(loan=loan), token, body)
            phase.status(status)
            if status != expected:
                phase.errors.append(f"{kind}: {method} {path} -> {status} {data[:200]!r}")
                conn.close()
                return
            phase.record(kind, seconds)
            total += seconds
            if kind in ("borrow", "holder_borrow"):
                loan = json.loads(data)["id"]
        phase.record("holds_cycle", total)
    conn.close()
