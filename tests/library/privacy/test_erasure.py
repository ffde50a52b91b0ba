"""Erasure: "anonymise and deactivate" a patron, refused while they have open loans or holds."""

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.db import models
from knox.models import AuthToken

from library import services
from library.models import ANONYMISED_PATRON_USERNAME, Borrow, Hold
from library.selectors.privacy import history_models, history_of
from library.services.privacy import ErasureRefused, anonymised_patron, patron_erase

from ...admin.conftest import web_client_for
from ...conftest import client_for
from ...factories import PASSWORD, BookFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def personal_values(user) -> set[str]:
    return {user.username, user.email, user.first_name, user.last_name} - {""}


def rows_mentioning(values: set[str]) -> list[str]:
    """Every row of every table (history included) with a text field holding one of these."""
    found = []
    for model in apps.get_models():
        text_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        for value in values:
            query = models.Q()
            for name in text_fields:
                query |= models.Q(**{f"{name}__icontains": value})
            if text_fields and model.objects.filter(query).exists():
                found.append(f"{model._meta.label}: {value}")
    return found


def test_erasure_is_refused_with_the_reasons_while_loans_or_holds_are_open(reading):
    alice, bob = reading["alice"], reading["bob"]
    hold_book = BookFactory(total_copies=1, available_copies=0)
    services.hold_place(user=alice, book_id=hold_book.pk)

    with pytest.raises(ErasureRefused) as refused:
        patron_erase(user_id=alice.pk, actor=reading["librarian"])

    assert "1 loan still on loan" in refused.value.detail
    assert "1 open hold" in refused.value.detail
    alice.refresh_from_db()
    assert alice.username == "alice" and alice.is_active
    assert Borrow.objects.filter(user=alice).count() == 4
    assert bob.is_active


def test_erasure_leaves_no_personal_field_in_the_patrons_rows_or_history(reading):
    alice, librarian = reading["alice"], reading["librarian"]
    services.borrow_return(borrow_id=reading["loans"]["alice_open"].pk, actor=alice)
    old = personal_values(alice)
    LogEntry.objects.log_actions(
        user_id=librarian.pk, queryset=[alice], action_flag=CHANGE, change_message="edited"
    )
    assert rows_mentioning(old)  # the check can see them before

    patron_erase(user_id=alice.pk, actor=librarian)

    assert rows_mentioning(old) == []
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.email) == ("", "", "")
    assert alice.username == f"_erased_{alice.pk}"
    assert not alice.is_active and not alice.has_usable_password()
    anonymous = anonymised_patron()
    assert not Borrow.objects.filter(user=alice).exists()
    assert Borrow.objects.filter(user=anonymous).count() == 4
    assert not Borrow.history.filter(user_id=alice.pk).exists()
    assert not Borrow.history.filter(history_user_id=alice.pk).exists()
    # Who did it is recorded on the account's newest history row.
    newest = User.history.filter(id=alice.pk).latest("history_date", "history_id")
    assert (newest.history_user_id, newest.history_change_reason) == (
        librarian.pk,
        "Anonymised and deactivated",
    )


def test_erasure_revokes_tokens_and_the_account_cannot_sign_in(reading, api_client):
    alice = reading["alice"]
    client = client_for(alice)
    services.borrow_return(borrow_id=reading["loans"]["alice_open"].pk, actor=alice)

    patron_erase(user_id=alice.pk, actor=reading["librarian"])

    assert not AuthToken.objects.filter(user=alice).exists()
    assert client.get("/auth/user/").status_code == 401
    response = api_client.post(
        "/auth/login/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400


def test_statistics_are_unchanged_by_an_erasure(reading):
    alice = reading["alice"]
    services.borrow_return(borrow_id=reading["loans"]["alice_open"].pk, actor=alice)
    before = sorted(Borrow.objects.values_list("pk", "book_id", "borrow_date", "return_date"))

    patron_erase(user_id=alice.pk, actor=reading["librarian"])

    assert (
        sorted(Borrow.objects.values_list("pk", "book_id", "borrow_date", "return_date")) == before
    )


def test_closed_holds_go_to_the_anonymised_patron(reading):
    bob = reading["bob"]
    services.borrow_return(borrow_id=reading["loans"]["alice_open"].pk, actor=reading["alice"])
    patron_erase(user_id=bob.pk, actor=reading["librarian"])

    assert Hold.objects.get(pk=reading["hold"].pk).user_id == anonymised_patron().pk
    assert not Hold.history.filter(user_id=bob.pk).exists()


@pytest.mark.parametrize("who", ["staff", "system", "twice"])
def test_staff_the_system_account_and_erased_accounts_are_refused(reading, who):
    librarian = reading["librarian"]
    carol = reading["carol"]
    if who == "staff":
        target = librarian
    elif who == "system":
        target = anonymised_patron()
    else:
        patron_erase(user_id=carol.pk, actor=librarian)
        target = carol
    with pytest.raises(ErasureRefused):
        patron_erase(user_id=target.pk, actor=librarian)


def test_every_history_model_is_found_in_the_registry():
    labels = {model._meta.label_lower for model in history_models()}
    assert {
        "library.author",
        "library.book",
        "library.borrow",
        "library.hold",
        "accounts.user",
    } <= labels
    assert all(history_of(model).instance_type is model for model in history_models())


# --- The admin action ----------------------------------------------------------------------


def _post_action(client, ids, confirm):
    data = {"action": "anonymise_and_deactivate", "_selected_action": [str(i) for i in ids]}
    if confirm:
        data["post"] = "yes"
    return client.post("/admin/accounts/user/", data, follow=True)


def test_the_librarian_confirms_then_the_patron_is_anonymised(reading):
    web = web_client_for(reading["librarian"])
    carol = reading["carol"]

    confirm = _post_action(web, [carol.pk], confirm=False)
    assert confirm.status_code == 200
    assert "will be anonymised" in confirm.content.decode()
    carol.refresh_from_db()
    assert carol.is_active  # nothing happens before the confirmation

    done = _post_action(web, [carol.pk], confirm=True)

    assert done.status_code == 200
    assert "Anonymised and deactivated 1 patron." in done.content.decode()
    carol.refresh_from_db()
    assert not carol.is_active and carol.email == ""


def test_the_action_reports_refusals_and_erases_the_others(reading):
    web = web_client_for(reading["librarian"])
    alice, carol = reading["alice"], reading["carol"]

    confirm = _post_action(web, [alice.pk, carol.pk], confirm=False)
    assert "refused" in confirm.content.decode() and "still on loan" in confirm.content.decode()
    done = _post_action(web, [alice.pk, carol.pk], confirm=True)

    text = done.content.decode()
    assert "alice cannot be anonymised" in text
    assert "Anonymised and deactivated 1 patron." in text
    alice.refresh_from_db()
    carol.refresh_from_db()
    assert alice.is_active and not carol.is_active


def test_auditors_have_no_erasure_action(reading, auditor):
    web = web_client_for(auditor)
    carol = reading["carol"]

    page = web.get("/admin/accounts/user/")
    assert "anonymise_and_deactivate" not in page.content.decode()
    _post_action(web, [carol.pk], confirm=True)
    carol.refresh_from_db()
    assert carol.is_active


def test_the_system_account_is_not_in_the_patrons_list(reading):
    anonymous = anonymised_patron()
    web = web_client_for(reading["librarian"])

    page = web.get("/admin/accounts/user/")

    assert page.status_code == 200
    assert ANONYMISED_PATRON_USERNAME not in page.content.decode()
    # Its record still opens, from a loan that links to it.
    assert web.get(f"/admin/accounts/user/{anonymous.pk}/change/").status_code == 200
