"""Authors and books in the admin: lists, copies through the services, guarded deletes."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse
from django.utils import timezone

from library.models import Author, Book
from tests.factories import AuthorFactory, BookFactory, BorrowFactory, UserFactory

from .conftest import messages_of, queries_for_get

pytestmark = pytest.mark.django_db

BOOKS = reverse("admin:library_book_changelist")

# Pinned: a changelist page costs the same whatever the number of rows (no query per row).
BOOK_CHANGELIST_QUERIES = 6
# The holds queue and the loans each add one query, whatever their length.
BOOK_CHANGE_PAGE_QUERIES = 8


def book_form(book, **changes) -> dict:
    data = {
        "title": book.title,
        "author": book.author_id,
        "isbn": book.isbn,
        "genre": book.genre,
        "publication_date": "",
        "total_copies": book.total_copies,
        "available_copies": book.available_copies,
    }
    # The read-only inlines (holds, loans) still post their management forms.
    for prefix in ("holds", "borrows"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 0,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    data.update(changes)
    return data


# --- Books changelist --------------------------------------------------------------------


def test_books_list_shows_author_genre_and_copies(librarian_web, borrowed_book):
    response = librarian_web.get(BOOKS)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The Moonstone" in html and "Wilkie Collins" in html and "Mystery" in html
    row = response.context["cl"].result_list[0]
    assert (row.total_copies, row.available_copies, row.on_loan) == (3, 2, 1)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "moonst"}, ["The Moonstone"]),
        ({"q": "wilkie"}, ["The Moonstone"]),
        ({"q": "978"}, None),  # the ISBN prefix of every factory book
        ({"genre": "Gothic"}, ["Dracula"]),
        ({"availability": "none"}, ["Dracula"]),
        ({"availability": "available"}, ["The Moonstone"]),
        ({"availability": "on_loan"}, ["Dracula"]),
    ],
)
def test_books_list_searches_and_filters(librarian_web, book, query, expected):
    dracula = BookFactory(title="Dracula", genre="Gothic", total_copies=1)
    BorrowFactory(book=dracula)

    response = librarian_web.get(BOOKS, query)

    titles = sorted(book.title for book in response.context["cl"].result_list)
    assert titles == (expected or ["Dracula", "The Moonstone"])


def test_books_list_filters_by_author(librarian_web, book):
    BookFactory(title="Other")

    response = librarian_web.get(BOOKS, {"author__id__exact": book.author_id})

    assert [b.title for b in response.context["cl"].result_list] == ["The Moonstone"]


def test_author_is_chosen_by_autocomplete(librarian_web, book):
    response = librarian_web.get(
        reverse("admin:autocomplete"),
        {"app_label": "library", "model_name": "book", "field_name": "author", "term": "wilk"},
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Wilkie Collins"]


@pytest.mark.parametrize("rows", [5, 50])
def test_books_list_runs_a_constant_number_of_queries(librarian_web, rows):
    for book in BookFactory.create_batch(rows):
        BorrowFactory(book=book)

    assert queries_for_get(librarian_web, BOOKS) == BOOK_CHANGELIST_QUERIES


# --- Book change page: who has it ------------------------------------------------------------


def test_book_page_lists_current_and_past_borrowers(librarian_web, book):
    now = timezone.now()
    current = BorrowFactory(book=book, user=UserFactory(username="holder"))
    BorrowFactory(
        book=book,
        user=UserFactory(username="earlier"),
        borrow_date=now - timezone.timedelta(days=40),
        due_date=now - timezone.timedelta(days=26),
        return_date=now - timezone.timedelta(days=30),
    )

    response = librarian_web.get(reverse("admin:library_book_change", args=[book.pk]))

    html = response.content.decode()
    assert "holder" in html and "earlier" in html
    assert "On loan" in html and "Returned" in html
    (loans_inline,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "borrows"
    ]
    shown = [form.original for form in loans_inline]
    assert shown[0] == current  # open loans first


@pytest.mark.parametrize("loans", [3, 30])
def test_book_page_runs_a_constant_number_of_queries(librarian_web, book, loans):
    for _ in range(loans):
        BorrowFactory(
            book=book,
            return_date=timezone.now(),
            borrow_date=timezone.now() - timezone.timedelta(days=3),
        )

    url = reverse("admin:library_book_change", args=[book.pk])
    assert queries_for_get(librarian_web, url) == BOOK_CHANGE_PAGE_QUERIES


# --- Editing copies goes through library.services -------------------------------------------


def test_adding_copies_moves_the_shelf_count(librarian_web, librarian, borrowed_book):
    url = reverse("admin:library_book_change", args=[borrowed_book.pk])

    response = librarian_web.post(url, book_form(borrowed_book, total_copies=5))

    assert response.status_code == 302
    borrowed_book.refresh_from_db()
    assert (borrowed_book.total_copies, borrowed_book.available_copies) == (5, 4)
    record = borrowed_book.history.first()
    assert record.history_user == librarian
    assert record.total_copies == 5


def test_copies_cannot_drop_below_those_on_loan(librarian_web, borrowed_book):
    BorrowFactory(book=borrowed_book)
    url = reverse("admin:library_book_change", args=[borrowed_book.pk])

    response = librarian_web.post(url, book_form(borrowed_book, total_copies=1))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["total_copies"] == ["2 copies are on loan; total copies cannot drop below that."]
    borrowed_book.refresh_from_db()
    assert borrowed_book.total_copies == 3


def test_available_copies_cannot_exceed_total_minus_on_loan(librarian_web, borrowed_book):
    url = reverse("admin:library_book_change", args=[borrowed_book.pk])

    response = librarian_web.post(url, book_form(borrowed_book, available_copies=3))

    assert response.status_code == 200
    assert "At most 2 copies can be available" in str(
        response.context["adminform"].form.errors["available_copies"]
    )


def test_adding_a_book_normalises_the_isbn_and_shelves_every_copy(librarian_web, librarian, book):
    data = book_form(book, title="Armadale", isbn="0-306-40615-2", total_copies=4)
    data["available_copies"] = ""

    response = librarian_web.post(reverse("admin:library_book_add"), data)

    assert response.status_code == 302
    added = Book.objects.get(title="Armadale")
    assert added.isbn == "9780306406157"
    assert (added.total_copies, added.available_copies) == (4, 4)
    assert added.history.get().history_user == librarian


def test_an_invalid_isbn_is_a_form_error(librarian_web, book):
    data = book_form(book, title="Armadale", isbn="9780306406158")

    response = librarian_web.post(reverse("admin:library_book_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["isbn"] == [
        "Not a valid ISBN-13: the check digit does not match."
    ]
    assert not Book.objects.filter(title="Armadale").exists()


def test_a_service_refusal_at_save_time_is_reported_not_crashed(
    librarian_web, borrowed_book, monkeypatch
):
    from django.core.exceptions import ValidationError

    from library import services

    def refuse(**kwargs):
        raise ValidationError({"total_copies": "A borrow just took a copy."})

    monkeypatch.setattr(services, "book_update", refuse)
    url = reverse("admin:library_book_change", args=[borrowed_book.pk])

    response = librarian_web.post(url, book_form(borrowed_book, total_copies=4))

    assert response.status_code == 302
    assert response["Location"] == url
    assert any("A borrow just took a copy." in m for m in messages_of(response))
    assert not LogEntry.objects.filter(object_id=str(borrowed_book.pk)).exists()


# --- Deleting: refused while history refers to the row -------------------------------------


def test_deleting_a_borrowed_book_is_refused_with_a_message(librarian_web, borrowed_book):
    url = reverse("admin:library_book_delete", args=[borrowed_book.pk])
    assert librarian_web.get(url).status_code == 200  # the confirmation page

    response = librarian_web.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:library_book_change", args=[borrowed_book.pk])
    assert Book.objects.filter(pk=borrowed_book.pk).exists()
    assert any("borrow history" in m for m in messages_of(response))
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_deleting_a_never_borrowed_book_works(librarian_web, librarian, book):
    response = librarian_web.post(
        reverse("admin:library_book_delete", args=[book.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Book.objects.filter(pk=book.pk).exists()
    assert Book.history.filter(id=book.pk, history_type="-").get().history_user == librarian


def test_bulk_delete_reports_each_refusal(librarian_web, borrowed_book):
    spare = BookFactory(title="Spare")

    confirm = librarian_web.post(
        BOOKS, {"action": "delete_selected", "_selected_action": [borrowed_book.pk, spare.pk]}
    )
    assert confirm.status_code == 200  # Django's confirmation page
    response = librarian_web.post(
        BOOKS,
        {
            "action": "delete_selected",
            "_selected_action": [borrowed_book.pk, spare.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not Book.objects.filter(pk=spare.pk).exists()
    assert Book.objects.filter(pk=borrowed_book.pk).exists()
    texts = messages_of(response)
    assert "Deleted 1 book." in texts
    assert any("The Moonstone" in m and "borrow history" in m for m in texts)
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 1


# --- Authors ------------------------------------------------------------------------------


def test_authors_list_counts_books(librarian_web, book):
    AuthorFactory(name="Nobody Yet")

    response = librarian_web.get(reverse("admin:library_author_changelist"))

    counts = {a.name: a.book_count for a in response.context["cl"].result_list}
    assert counts == {"Nobody Yet": 0, "Wilkie Collins": 1}


def test_editing_an_author_goes_through_the_service(librarian_web, librarian, book):
    author = book.author
    url = reverse("admin:library_author_change", args=[author.pk])

    response = librarian_web.post(
        url, {"name": "W. Wilkie Collins", "nationality": "British", "birthdate": "", "bio": ""}
    )

    assert response.status_code == 302
    author.refresh_from_db()
    assert author.name == "W. Wilkie Collins"
    assert author.history.first().history_user == librarian


def test_deleting_an_author_with_books_is_refused(librarian_web, book):
    url = reverse("admin:library_author_delete", args=[book.author_id])

    response = librarian_web.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert Author.objects.filter(pk=book.author_id).exists()
    assert any("has books in the catalogue" in m for m in messages_of(response))


def test_deleting_an_author_without_books_works(librarian_web):
    author = AuthorFactory()

    response = librarian_web.post(
        reverse("admin:library_author_delete", args=[author.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Author.objects.filter(pk=author.pk).exists()
