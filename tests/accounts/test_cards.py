"""Library cards: generated with a check digit, edited by librarians, in the CSV and the API."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tablib
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from stdnum import luhn

from accounts.cards import card_number_new, validate_card_number
from accounts.models import User
from accounts.resources import PatronResource
from tests.admin.browser_form import browser_submission
from tests.admin.conftest import web_client_for
from tests.conftest import client_for
from tests.factories import BorrowFactory, UserFactory

pytestmark = pytest.mark.django_db


def dataset(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


def test_every_new_account_gets_a_card_with_the_prefix_and_a_check_digit(settings):
    users = [UserFactory() for _ in range(20)]
    cards = [user.card_number for user in users]

    assert len(set(cards)) == 20
    for card in cards:
        assert len(card) == 14 and card.isdigit() and card.startswith("29")
        assert luhn.is_valid(card)

    settings.LIBRARY_CARD_PREFIX = "4401"
    assert card_number_new().startswith("4401") and len(card_number_new()) == 14


@pytest.mark.parametrize("prefix", ["abc", "1234567", "٣", ""])
def test_a_bad_card_prefix_stops_the_project_at_start(prefix):
    env = {
        **os.environ,
        "LIBRARY_CARD_PREFIX": prefix,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if prefix == "":
        # Empty is unset: the default prefix.
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "LIBRARY_CARD_PREFIX must be 1 to 6 digits" in result.stderr


def test_holds_are_found_by_card(librarian):
    from tests.factories import BookFactory, HoldFactory

    hold = HoldFactory(book=BookFactory(total_copies=0, available_copies=0))
    HoldFactory(book=hold.book)
    response = web_client_for(librarian).get(
        reverse("admin:library_hold_changelist"), {"q": hold.user.card_number}
    )

    assert [h.pk for h in response.context["cl"].result_list] == [hold.pk]


def test_a_generated_card_is_never_shaped_like_an_isbn():
    from library.services.desk import scan_as_isbn

    assert scan_as_isbn(card_number_new()) is None


@pytest.mark.parametrize(
    "value,ok",
    [
        ("LIB-0001", False),  # hyphens are dropped before validation, never stored
        ("LIB0001", True),
        ("12", False),
        ("٣٣٣٣٣", False),
        ("ab12", False),  # stored in capitals
        ("29000000000001", False),  # one of ours with a wrong check digit
        ("2900000000000" + luhn.calc_check_digit("2900000000000"), True),
    ],
)
def test_card_numbers_are_ascii_letters_and_digits(value, ok):
    if ok:
        validate_card_number(value)
    else:
        with pytest.raises(ValidationError):
            validate_card_number(value)


def test_the_api_shows_a_patron_their_own_card(patron):
    response = client_for(patron).get("/auth/user/")

    assert response.status_code == 200
    assert response.json()["card_number"] == patron.card_number


def test_the_card_cannot_be_changed_through_the_api(patron):
    card = patron.card_number

    client_for(patron).patch("/auth/user/", {"card_number": "HACKED1"}, format="json")

    patron.refresh_from_db()
    assert patron.card_number == card


# --- the admin form ---------------------------------------------------------------------


def edit_card(client, user, typed):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(url).content.decode()
    return client.post(url, browser_submission(page, "user_form", {"card_number": typed}, "_save"))


def test_a_librarian_edits_a_card_number_as_typed(librarian, patron):
    response = edit_card(web_client_for(librarian), patron, " lib-0042 ")

    assert response.status_code == 302
    patron.refresh_from_db()
    assert patron.card_number == "LIB0042"


def test_a_blank_card_number_gets_a_new_card(librarian, patron):
    old = patron.card_number

    edit_card(web_client_for(librarian), patron, "")

    patron.refresh_from_db()
    assert patron.card_number != old and luhn.is_valid(patron.card_number)


def test_another_patrons_card_is_refused_on_the_form(librarian, patron):
    other = UserFactory()

    response = edit_card(web_client_for(librarian), patron, other.card_number.lower())

    assert response.status_code == 200
    assert "Another account already has this card number." in response.content.decode()
    patron.refresh_from_db()
    assert patron.card_number != other.card_number


def test_a_malformed_card_number_is_a_field_error(librarian, patron):
    response = edit_card(web_client_for(librarian), patron, "<script>")

    assert response.status_code == 200
    assert "A card number is 4 to 32 letters" in response.content.decode()


def test_patrons_are_found_by_card_in_the_users_list_and_the_autocomplete(librarian, patron):
    UserFactory()
    client = web_client_for(librarian)

    listed = client.get(reverse("admin:accounts_user_changelist"), {"q": patron.card_number})
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "term": patron.card_number,
            "app_label": "library",
            "model_name": "borrow",
            "field_name": "user",
        },
    )

    assert [u.pk for u in listed.context["cl"].result_list] == [patron.pk]
    assert [int(r["id"]) for r in found.json()["results"]] == [patron.pk]


def test_loans_are_found_by_card_and_by_isbn_however_typed(librarian, patron):
    mine = BorrowFactory(user=patron)
    BorrowFactory()
    client = web_client_for(librarian)
    url = reverse("admin:library_borrow_changelist")
    isbn = mine.book.isbn
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"

    for term in (patron.card_number, hyphenated):
        response = client.get(url, {"q": term})
        assert [b.pk for b in response.context["cl"].result_list] == [mine.pk], term


# --- the patron CSV ---------------------------------------------------------------------


def test_cards_are_imported_and_a_blank_cell_keeps_the_card(librarian, patron):
    card = patron.card_number
    content = (
        "username,email,card_number\n"
        f"{patron.username},{patron.email},\n"
        "newreader,new@example.org,lib-7\n"
        "another,another@example.org,\n"
    )

    result = PatronResource().import_data(dataset(content), user=librarian)

    assert not result.has_validation_errors(), result.invalid_rows
    patron.refresh_from_db()
    assert patron.card_number == card
    assert User.objects.get(username="newreader").card_number == "LIB7"
    assert luhn.is_valid(User.objects.get(username="another").card_number)


def test_a_card_already_held_is_a_row_error_and_nothing_is_imported(librarian, patron):
    other = UserFactory()
    content = (
        "username,card_number\n"
        "newreader,NEW0001\n"
        f"{patron.username},{other.card_number}\n"
        "third,NEW0001\n"
    )

    result = PatronResource().import_data(dataset(content), user=librarian)

    errors = [row.error_dict for row in result.invalid_rows]
    assert [list(e) for e in errors] == [["card_number"], ["card_number"]]
    assert not User.objects.filter(username="newreader").exists()
