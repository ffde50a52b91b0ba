"""On PostgreSQL a borrow from the shelf and a return write in one statement each (the copy
ledger's ``copy_lend_from_shelf`` and ``copy_return_loan``): the same loans, counters,
history rows and answers as the ORM's path, which SQLite takes."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from library.models import Borrow, Hold
from library.services import copies

from ...conftest import client_for
from ...factories import BookFactory, HoldFactory, LibrarianFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# What differs between two loans of the same book by two patrons, or was written at
# another moment.
VARYING = {"id", "user", "user_id", "history_id", "history_date", "borrow_date", "due_date"}
VARYING |= {"return_date", "history_user_id", "borrowed_by"}


@pytest.fixture
def orm_path(monkeypatch):
    def use_the_orm():
        monkeypatch.setattr(copies, "_writes_in_one_statement", lambda borrow, actor: False)

    return use_the_orm


def borrow_and_return(client, book) -> tuple[dict, dict]:
    lent = client.post("/borrow/", {"book": book.pk}, format="json")
    assert lent.status_code == 201, lent.content
    returned = client.put(f"/borrow/{lent.data['id']}/return/")
    assert returned.status_code == 200, returned.content
    return lent.json(), returned.json()


def history_of(loan_id: int) -> list[dict]:
    return list(Borrow.history.filter(id=loan_id).order_by("history_id").values())


def without(row: dict, keys=VARYING) -> dict:
    return {key: value for key, value in row.items() if key not in keys}


def test_a_borrow_and_a_return_write_what_the_orm_writes(require_postgres, orm_path):
    book = BookFactory(total_copies=3)
    one_statement, orm = UserFactory(), UserFactory()

    folded = borrow_and_return(client_for(one_statement), book)
    orm_path()
    plain = borrow_and_return(client_for(orm), book)

    assert [without(answer) for answer in folded] == [without(answer) for answer in plain]
    assert (folded[0]["book_title"], folded[0]["author_name"]) == (book.title, book.author.name)
    assert folded[0]["borrowed_by"] == one_statement.username
    folded_rows, plain_rows = history_of(folded[0]["id"]), history_of(plain[0]["id"])
    assert [without(row) for row in folded_rows] == [without(row) for row in plain_rows]
    assert [row["history_type"] for row in folded_rows] == ["+", "~"]
    assert [row["history_user_id"] for row in folded_rows] == [one_statement.pk] * 2
    loan = Borrow.objects.get(pk=folded[0]["id"])
    assert [row["return_date"] for row in folded_rows] == [None, loan.return_date]
    assert {(row["borrow_date"], row["due_date"]) for row in folded_rows} == {
        (loan.borrow_date, loan.due_date)
    }
    book.refresh_from_db()
    assert (book.available_copies, book.held_copies) == (3, 0)
    assert copies.invariants_broken(strict=True) == []


def test_a_librarian_lending_is_recorded_with_the_librarian_and_the_reason(require_postgres):
    book, patron, librarian = BookFactory(total_copies=1), UserFactory(), LibrarianFactory()

    lent = client_for(librarian).post("/borrow/", {"book": book.pk, "user": patron.pk})

    assert lent.status_code == 201
    (row,) = history_of(lent.data["id"])
    assert (row["user_id"], row["history_user_id"]) == (patron.pk, librarian.pk)
    assert row["history_change_reason"] == "Lent by a librarian (API)"


def test_each_write_is_one_statement(require_postgres):
    book, patron = BookFactory(total_copies=2), UserFactory()
    client = client_for(patron)

    with CaptureQueriesContext(connection) as borrowing:
        lent = client.post("/borrow/", {"book": book.pk}, format="json")
    with CaptureQueriesContext(connection) as returning:
        client.put(f"/borrow/{lent.data['id']}/return/")

    writes = [
        query["sql"]
        for query in [*borrowing.captured_queries, *returning.captured_queries]
        if query["sql"].startswith(("WITH", "INSERT", "UPDATE")) and "library_" in query["sql"]
    ]
    assert len(writes) == 2, writes
    assert all(sql.startswith("WITH") for sql in writes)


def test_an_empty_shelf_writes_nothing(require_postgres):
    book = BookFactory(total_copies=1)
    client_for(UserFactory()).post("/borrow/", {"book": book.pk})
    history_rows = Borrow.history.count()

    refused = client_for(UserFactory()).post("/borrow/", {"book": book.pk})

    assert refused.status_code == 409
    assert refused.data["code"] == "no_copies_available"
    assert Borrow.objects.count() == 1
    assert Borrow.history.count() == history_rows
    book.refresh_from_db()
    assert book.available_copies == 0


def test_a_return_with_a_hold_waiting_keeps_the_copy_for_it(require_postgres):
    book = BookFactory(total_copies=1)
    reader = UserFactory()
    lent = client_for(reader).post("/borrow/", {"book": book.pk})
    hold = HoldFactory(book=book)

    returned = client_for(reader).put(f"/borrow/{lent.data['id']}/return/")

    assert returned.status_code == 200
    hold.refresh_from_db()
    book.refresh_from_db()
    assert hold.status == Hold.Status.READY
    assert hold.expires_at - hold.ready_at == timedelta(days=settings.HOLD_PICKUP_DAYS)
    assert (book.available_copies, book.held_copies) == (0, 1)
    assert copies.invariants_broken(strict=True) == []


def test_an_open_loan_of_the_same_book_fails_the_unique_index_and_rolls_back(
    require_postgres,
):
    book, patron = BookFactory(total_copies=2), UserFactory()
    client_for(patron).post("/borrow/", {"book": book.pk})
    history_rows = Borrow.history.count()
    now = timezone.now()
    second = Borrow(user=patron, book_id=book.pk, borrow_date=now, due_date=now)

    # What a parallel borrow that passed the checks meets: the partial unique index.
    with pytest.raises(IntegrityError), transaction.atomic():
        copies.copy_lend_from_shelf(second, actor=patron, reason="")

    book.refresh_from_db()
    assert book.available_copies == 1
    assert Borrow.objects.count() == 1
    assert Borrow.history.count() == history_rows


def test_with_history_switched_off_a_borrow_writes_no_history_row(require_postgres, settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    book, patron = BookFactory(total_copies=1), UserFactory()

    lent, returned = borrow_and_return(client_for(patron), book)

    assert returned["is_returned"]
    assert history_of(lent["id"]) == []
    book.refresh_from_db()
    assert book.available_copies == 1
