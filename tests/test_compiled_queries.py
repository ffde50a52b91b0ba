"""``backoffice.core.compiled``: a queryset compiled once answers as the queryset does."""

import pytest
from django.db.models import Count, F

from backoffice.core.compiled import CompiledQuery
from library.models import Book, Borrow
from tests.factories import BookFactory, BorrowFactory

pytestmark = pytest.mark.django_db

loans_of_patron = CompiledQuery(
    lambda user_id: (
        Borrow.objects.open()
        .filter(user_id=user_id)
        .order_by("pk")
        .values("pk", "book_id", "borrow_date", "due_date", "return_date")
    ),
    "user_id",
)
book_with_author = CompiledQuery(
    lambda book_id: (
        Book.objects.select_related("author")
        .filter(pk=book_id)
        .annotate(loans=Count("borrows"))
        .order_by()
    ),
    "book_id",
)
books_titled = CompiledQuery(
    lambda title: Book.objects.filter(title=title).order_by("pk").values("pk"),
    texts=("title",),
)


def test_values_rows_are_the_querysets_own_dates_and_all():
    first, second = BorrowFactory(), BorrowFactory()
    BorrowFactory(user=first.user)
    for patron in (first.user, second.user):
        expected = list(
            Borrow.objects.open()
            .filter(user_id=patron.pk)
            .order_by("pk")
            .values("pk", "book_id", "borrow_date", "due_date", "return_date")
        )
        assert loans_of_patron.rows(user_id=patron.pk) == expected
    assert loans_of_patron.rows(user_id=second.user.pk + 1000) == []


def test_instances_come_with_their_related_objects_and_annotations(
    django_assert_num_queries,
):
    loan = BorrowFactory()
    stored = Book.objects.select_related("author").get(pk=loan.book_id)
    with django_assert_num_queries(1):
        book = book_with_author.first(book_id=loan.book_id)
        assert (book.pk, book.title, book.author.name, book.loans) == (
            stored.pk,
            stored.title,
            stored.author.name,
            1,
        )
        assert book.available_copies == stored.available_copies
    assert book_with_author.first(book_id=loan.book_id + 1000) is None


def test_text_parameters_are_bound_not_spliced():
    BookFactory(title="Dune")
    BookFactory(title="Dune' OR '1'='1")
    assert books_titled.rows(title="Dune") == list(Book.objects.filter(title="Dune").values("pk"))
    assert len(books_titled.rows(title="Dune' OR '1'='1")) == 1


def test_a_value_the_orm_folds_into_the_sql_is_refused():
    # A slice's bounds become LIMIT and OFFSET literals, not parameters.
    first_books = CompiledQuery(lambda count: Book.objects.order_by("pk")[:count], "count")
    with pytest.raises(ValueError, match="count"):
        first_books.rows(count=2)


def test_each_value_is_bound_where_it_appears():
    loan, other = BorrowFactory(), BorrowFactory()
    loans_of_patron_and_book = CompiledQuery(
        lambda user_id, book_id: (
            Borrow.objects.filter(user_id=user_id, book_id=book_id)
            .annotate(doubled=F("renewals") * 2)
            .values("pk", "doubled")
        ),
        "user_id",
        "book_id",
    )
    assert loans_of_patron_and_book.rows(user_id=loan.user_id, book_id=loan.book_id) == [
        {"pk": loan.pk, "doubled": 0}
    ]
    assert loans_of_patron_and_book.rows(user_id=other.user_id, book_id=loan.book_id) == []


# --- built_once ------------------------------------------------------------------------


def test_a_list_built_once_sees_what_changed_since_the_last_request(api_client):
    book = BookFactory(title="Armadale", total_copies=2, available_copies=2)
    first = api_client.get("/books/").json()["results"]
    assert [(row["title"], row["on_loan"]) for row in first] == [("Armadale", 0)]

    BorrowFactory(book=book)
    BookFactory(title="Basil")

    second = api_client.get("/books/").json()["results"]
    assert [(row["title"], row["on_loan"]) for row in second] == [("Armadale", 1), ("Basil", 0)]


def test_each_call_of_a_list_built_once_is_a_queryset_of_its_own():
    from library.selectors import book_list

    BookFactory(title="Armadale")
    BookFactory(title="Basil")
    narrowed = book_list().filter(title="Basil")
    whole = book_list()

    assert [book.title for book in narrowed] == ["Basil"]
    assert sorted(book.title for book in whole) == ["Armadale", "Basil"]
    assert book_list() is not whole
