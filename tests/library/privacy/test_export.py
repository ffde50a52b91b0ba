"""GET /auth/user/export/: everything about the caller, nothing about anyone else."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from library import services
from library.services.privacy import reading_history_choose

from ...conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_callers_profile_loans_holds_choice_and_history(reading):
    alice = reading["alice"]
    reading_history_choose(user=alice, choice="forget", forget_after_days=60)

    response = client_for(alice).get("/auth/user/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = response.json()
    assert document["profile"]["username"] == "alice"
    assert document["profile"]["email"] == alice.email
    assert document["reading_history"] == {
        "choice": "forget",
        "forget_after_days": 60,
        "library_retention_days": None,
    }
    assert sorted(loan["id"] for loan in document["loans"]) == sorted(
        loan.pk for name, loan in reading["loans"].items() if name.startswith("alice")
    )
    assert {loan["book"]["title"] for loan in document["loans"]} >= {"Title 0", "Title 3"}
    models = {row["model"] for row in document["history"]}
    assert {"accounts.user", "library.borrow"} <= models
    # A librarian's part is told as "library staff", never by name.
    assert {row["by"] for row in document["history"]} <= {"you", "library staff", "system"}
    assert any(row["by"] == "library staff" for row in document["history"])


def test_the_export_contains_nothing_about_another_patron(reading):
    bob, carol, librarian = reading["bob"], reading["carol"], reading["librarian"]

    text = json.dumps(client_for(reading["alice"]).get("/auth/user/export/").json())

    for other in (bob, carol, librarian):
        assert other.username not in text
        assert other.email not in text
    document = json.loads(text)
    ids = {bob.pk, carol.pk, librarian.pk}
    for row in document["history"]:
        assert row["values"].get("user_id") not in ids
        if row["model"] == "accounts.user":
            assert row["object_id"] == reading["alice"].pk
    assert document["holds"] == []


def test_holds_are_in_the_holders_export(reading):
    document = client_for(reading["bob"]).get("/auth/user/export/").json()

    assert [hold["id"] for hold in document["holds"]] == [reading["hold"].pk]
    assert document["holds"][0]["loan"] == reading["loans"]["bob_held"].pk
    assert any(row["model"] == "library.hold" for row in document["history"])


def test_the_export_costs_the_same_queries_however_much_history(reading):
    alice = reading["alice"]
    client = client_for(alice)
    with CaptureQueriesContext(connection) as few:
        client.get("/auth/user/export/")
    for loan in alice.borrows.open():
        services.borrow_renew(borrow_id=loan.pk, actor=alice)
    with CaptureQueriesContext(connection) as more:
        client.get("/auth/user/export/")
    assert len(more) == len(few)


def test_the_export_needs_a_token(api_client):
    assert api_client.get("/auth/user/export/").status_code == 401


def test_the_schema_documents_the_export(api_client):
    schema = api_client.get("/schema/?format=json").json()
    operation = schema["paths"]["/auth/user/export/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"profile", "loans", "holds", "history", "reading_history"} <= set(
        component["properties"]
    )
