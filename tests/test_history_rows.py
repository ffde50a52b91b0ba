"""History rows written by the INSERT built once per model are the rows ``Model.save()``
writes: every field, on SQLite and PostgreSQL."""

import pytest
from django.db import models
from django.db.models.signals import post_save, pre_save

from backoffice.core.history import HistoryRowInsert
from library.models import Borrow
from library.services.history import record_actor
from tests.factories import BorrowFactory, LibrarianFactory

pytestmark = pytest.mark.django_db

VARYING = {"history_id", "history_date"}


def renew_and_read_history(loan, actor) -> dict:
    record_actor(loan, actor, "Renewed at the desk")
    loan.renewals += 1
    loan.save(update_fields=["renewals"])
    row = Borrow.history.filter(id=loan.pk).order_by("-history_id").values().first()
    return {name: value for name, value in row.items() if name not in VARYING}


def test_a_history_row_is_the_row_the_orm_would_write(monkeypatch):
    loan, librarian = BorrowFactory(), LibrarianFactory()
    written_once_compiled = renew_and_read_history(loan, librarian)

    monkeypatch.setattr(HistoryRowInsert, "save", models.Model.save)
    loan.renewals -= 1  # the same change again, written by Model.save()
    written_by_the_orm = renew_and_read_history(loan, librarian)

    assert written_once_compiled == written_by_the_orm
    assert written_once_compiled["history_user_id"] == librarian.pk
    assert written_once_compiled["history_change_reason"] == "Renewed at the desk"
    assert written_once_compiled["history_type"] == "~"
    assert Borrow.history.filter(id=loan.pk).count() == 3  # created, and the two renewals


def test_a_new_history_row_knows_its_id_as_it_is_written():
    # simple-history hands the written row to post_create_historical_record's receivers.
    from simple_history.signals import post_create_historical_record

    seen = []

    def remember(history_instance, **kwargs):
        if isinstance(history_instance, Borrow.history.model):
            seen.append((history_instance.pk, history_instance._state.adding))

    post_create_historical_record.connect(remember, weak=False)
    try:
        loan = BorrowFactory()
    finally:
        post_create_historical_record.disconnect(remember)
    stored = Borrow.history.filter(id=loan.pk).get()
    assert seen == [(stored.history_id, False)]
    assert stored.history_type == "+"


def test_a_loans_save_has_no_receiver_but_simple_historys():
    """On PostgreSQL a borrow and a return write without ``Model.save()``
    (``library.services.copies``): a receiver added for a loan's save would not run there.
    It must then be named in ``copies._writes_in_one_statement``, which sends such writes
    through the ORM; this test says so when one appears."""
    (receiver,) = post_save._live_receivers(Borrow)[0]

    assert type(receiver.__self__).__module__ == "backoffice.core.history"
    assert not pre_save.has_listeners(Borrow)
