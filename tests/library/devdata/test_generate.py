"""generate_library: a small library on whatever database the suite runs on (SQLite, then
PostgreSQL), checked against the rules the real circulation obeys."""

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F, Q

from library.devdata.generate import GENERATED_EMAIL_DOMAIN
from library.isbn import validate_isbn13
from library.models import Author, Book, Borrow
from library.services.copies import invariants_broken

from ...factories import BorrowFactory, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db

SIZE = {
    "books": 300,
    "authors": 60,
    "genres": 6,
    "patrons": 80,
    "borrows": 4000,
    "years": 1,
    "seed": 7,
}


def generate(**options) -> str:
    from io import StringIO

    out = StringIO()
    call_command("generate_library", **{**SIZE, **options}, stdout=out)
    return out.getvalue()


def generated_patrons():
    return get_user_model().objects.filter(email__endswith=f"@{GENERATED_EMAIL_DOMAIN}")


def assert_circulation_rules_hold() -> None:
    # Per book, open loans never exceed the copies it owns.
    assert not (
        Book.objects.annotate(
            open_loans=Count("borrows", filter=Q(borrows__return_date__isnull=True))
        )
        .filter(open_loans__gt=F("total_copies"))
        .exists()
    )
    # At most one open loan per patron and book (the partial unique index), at most
    # MAX_OPEN_BORROWS per patron.
    open_pairs = Counter(Borrow.objects.open().values_list("user_id", "book_id"))
    assert max(open_pairs.values(), default=0) <= 1
    per_patron = Counter(Borrow.objects.open().values_list("user_id", flat=True))
    assert max(per_patron.values(), default=0) <= settings.MAX_OPEN_BORROWS
    assert not Borrow.objects.filter(return_date__lt=F("borrow_date")).exists()
    loan = timedelta(days=settings.LOAN_PERIOD_DAYS)
    assert all(
        due - borrowed == loan
        for borrowed, due in Borrow.objects.values_list("borrow_date", "due_date")
    )
    # available_copies = total - open loans, for every book.
    assert invariants_broken(strict=True) == []
    assert not Book.objects.filter(available_copies__lt=0).exists()


def test_generates_the_requested_sizes_with_every_invariant_holding():
    output = generate(truncate=True)

    assert Author.objects.count() == SIZE["authors"]
    assert Book.objects.count() == SIZE["books"]
    assert generated_patrons().count() == SIZE["patrons"]
    assert Borrow.objects.count() == SIZE["borrows"]
    assert_circulation_rules_hold()
    for isbn in Book.objects.values_list("isbn", flat=True):
        validate_isbn13(isbn)
    assert Book.objects.values("genre").distinct().count() == SIZE["genres"]
    # Open, returned and overdue loans all occur.
    assert Borrow.objects.returned().exists()
    assert Borrow.objects.open().exists()
    assert Borrow.objects.overdue().exists()
    # Patrons: active non-staff accounts that cannot log in with a password.
    patron = generated_patrons().first()
    assert patron.is_active and not patron.is_staff and not patron.has_usable_password()
    # No history rows for generated data.
    assert not Book.history.exists()
    assert not Borrow.history.exists()
    assert not Author.history.exists()
    # Rows per second are reported per table and in total.
    for table in ("authors", "books", "patrons", "borrows", "total"):
        assert f"\n{table}: " in f"\n{output}"
    assert "rows/s" in output


def test_popularity_is_skewed():
    generate(truncate=True)

    per_book = sorted(
        Book.objects.annotate(n=Count("borrows")).values_list("n", flat=True), reverse=True
    )
    per_patron = sorted(
        generated_patrons().annotate(n=Count("borrows")).values_list("n", flat=True),
        reverse=True,
    )
    # The busiest tenth of the titles and of the readers account for far more than a tenth.
    assert sum(per_book[: len(per_book) // 10]) > 0.3 * sum(per_book)
    assert sum(per_patron[: len(per_patron) // 10]) > 0.2 * sum(per_patron)
    assert per_patron[0] > 3 * per_patron[len(per_patron) // 2]


def test_truncate_wipes_the_catalogue_and_generated_patrons_only():
    staff = LibrarianFactory()
    reader = UserFactory(username="reader")
    BorrowFactory(user=reader)  # borrow history outside the generated data is wiped too
    generate(truncate=True)
    first_isbns = sorted(Book.objects.values_list("isbn", flat=True))

    generate(truncate=True)

    assert Book.objects.count() == SIZE["books"]
    assert generated_patrons().count() == SIZE["patrons"]
    assert Borrow.objects.count() == SIZE["borrows"]
    assert not Borrow.objects.filter(user=reader).exists()
    assert get_user_model().objects.filter(pk__in=[staff.pk, reader.pk]).count() == 2
    # The same seed draws the same catalogue.
    assert sorted(Book.objects.values_list("isbn", flat=True)) == first_isbns
    assert_circulation_rules_hold()


def test_without_truncate_a_second_run_adds_beside_the_first():
    generate(truncate=True, borrows=1000)
    generate(seed=8, borrows=1000)

    assert Book.objects.count() == 2 * SIZE["books"]
    assert generated_patrons().count() == 2 * SIZE["patrons"]
    assert Borrow.objects.count() == 2000
    assert Author.objects.values("name").distinct().count() == 2 * SIZE["authors"]
    assert_circulation_rules_hold()


def test_a_patron_password_is_hashed_once_and_usable():
    generate(truncate=True, borrows=0, patrons=3, patron_password="reading-is-fun")

    hashes = set(generated_patrons().values_list("password", flat=True))
    assert len(hashes) == 1
    assert generated_patrons().first().check_password("reading-is-fun")


def test_generated_patrons_get_distinct_library_cards():
    from accounts.cards import card_number_for_id, card_number_is_generated

    # An existing account already holds the card the next id would be given.
    next_id = (
        get_user_model().objects.order_by("-id").values_list("id", flat=True).first() or 0
    ) + 1
    holder = UserFactory()
    holder.card_number = card_number_for_id(next_id + 1)
    holder.save(update_fields=["card_number"])

    generate(books=5, authors=2, genres=2, patrons=30, borrows=0)

    cards = list(get_user_model().objects.values_list("card_number", flat=True))
    assert len(cards) == len(set(cards))
    assert all(
        card_number_is_generated(card)
        for card in generated_patrons().values_list("card_number", flat=True)
    )


def test_a_new_account_whose_drawn_card_is_taken_draws_again(monkeypatch):
    from accounts import cards

    first = UserFactory()
    fresh = cards.card_number_new()
    draws = iter([first.card_number, fresh])
    monkeypatch.setattr("accounts.models.card_number_new", lambda: next(draws))

    # Made as the default would make it: a drawn card, which another account holds.
    second = UserFactory(card_number=first.card_number)

    assert second.card_number == fresh
