"""The lean parts of every answer: loan fields bound once, the renderer chosen once per
Accept header, a body-less return that builds no serializer. Each must answer exactly as
DRF's own machinery would."""

import copy
import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from library.api.serializers import BorrowSerializer
from library.models import Borrow
from tests.factories import BorrowFactory

pytestmark = pytest.mark.django_db


# BorrowSerializer's declared fields and Meta, on DRF's plain ModelSerializer.
DrfBorrowSerializer = type(
    "DrfBorrowSerializer",
    (serializers.ModelSerializer,),
    {**copy.deepcopy(BorrowSerializer._declared_fields), "Meta": BorrowSerializer.Meta},
)


def test_a_loan_answer_is_what_drf_itself_writes():
    now = timezone.now()
    loans = [
        BorrowFactory(),
        BorrowFactory(borrow_date=now - timedelta(days=20), due_date=now - timedelta(days=3)),
        BorrowFactory(borrow_date=now - timedelta(days=5), return_date=now, renewals=1),
    ]
    for loan in Borrow.objects.select_related("book__author", "user").filter(
        pk__in=[loan.pk for loan in loans]
    ):
        assert BorrowSerializer(loan).data == DrfBorrowSerializer(loan).data
    listed = Borrow.objects.select_related("book__author", "user").order_by("pk")
    assert BorrowSerializer(listed, many=True).data == DrfBorrowSerializer(listed, many=True).data
    assert len(BorrowSerializer(listed, many=True).data) == 3


def test_answers_written_in_parallel_threads_are_each_their_own_loan():
    loans = list(
        Borrow.objects.select_related("book__author", "user").filter(
            pk__in=[BorrowFactory().pk for _ in range(8)]
        )
    )
    expected = {loan.pk: DrfBorrowSerializer(loan).data for loan in loans}
    wrong = []

    def write(loan):
        for _ in range(200):
            answer = BorrowSerializer(loan).data
            if answer != expected[loan.pk]:
                wrong.append(answer["id"])

    threads = [threading.Thread(target=write, args=(loan,)) for loan in loans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_the_shared_fields_keep_no_callers_context(monkeypatch):
    loan = BorrowFactory()
    # As in a new process: the first answer written comes with a caller's context.
    monkeypatch.delattr(BorrowSerializer, "_answer_fields", raising=False)
    monkeypatch.delattr(BorrowSerializer, "_answer_readable_fields", raising=False)
    first = BorrowSerializer(loan, context={"request": "a caller's request"}).data
    assert first["id"] == loan.pk

    any_field = next(iter(BorrowSerializer(loan).fields.values()))
    assert "request" not in any_field.context


@pytest.mark.parametrize(
    ("accept", "status", "content_type"),
    [
        ("application/json", 200, "application/json"),
        ("*/*", 200, "application/json"),
        ("application/json; indent=4", 200, "application/json"),
        ("text/csv", 406, "application/json"),
        ("application/json", 200, "application/json"),
    ],
)
def test_each_accept_header_gets_its_own_answer_however_often_sent(
    patron_client, accept, status, content_type
):
    for _ in range(3):  # the first choice is remembered: the later ones must agree
        response = patron_client.get("/auth/user/", HTTP_ACCEPT=accept)
        assert response.status_code == status
        assert response["Content-Type"] == content_type


def test_json_indent_asked_for_is_given(patron_client):
    patron_client.get("/auth/user/", HTTP_ACCEPT="application/json")

    indented = patron_client.get("/auth/user/", HTTP_ACCEPT="application/json; indent=4")

    assert indented.content.startswith(b'{\n    "')


@pytest.mark.parametrize("body", ["[]", '""', "0", '{"x": 1}', "null"])
def test_a_return_with_a_body_other_than_nothing_or_an_empty_object_is_refused(
    patron, patron_client, body
):
    loan = BorrowFactory(user=patron)

    response = patron_client.generic(
        "PUT", f"/borrow/{loan.pk}/return/", body, content_type="application/json"
    )

    assert response.status_code == 400
    loan.refresh_from_db()
    assert loan.return_date is None


@pytest.mark.parametrize("body", ["", "{}"])
def test_a_return_with_no_body_or_an_empty_object_returns_the_loan(patron, patron_client, body):
    loan = BorrowFactory(user=patron)

    response = patron_client.generic(
        "PUT", f"/borrow/{loan.pk}/return/", body, content_type="application/json"
    )

    assert response.status_code == 200
    loan.refresh_from_db()
    assert loan.return_date is not None
