"""Catalogue writes: authors and books, one by one or in batches for imports."""

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history

from backoffice.core.errors import DomainError, NotFound
from library.isbn import normalize_isbn
from library.models import Author, Book, Borrow

from . import copies
from .history import record_actor


class BookNotFound(NotFound):
    default_detail = "No such book."


class ProtectedFromDeletion(DomainError):
    code = "protected"


def author_create(*, actor, reason: str = "", **fields: Any) -> Author:
    author = Author(**fields)
    author.full_clean()
    record_actor(author, actor, reason)
    author.save()
    return author


def author_create_many(*, actor, names: list[str], reason: str = "") -> list[Author]:
    """Create one author per name, in bulk, with their history rows (for imports)."""
    authors = [Author(name=name) for name in names]
    for author in authors:
        author.full_clean(validate_unique=False, validate_constraints=False)
    user = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        return bulk_create_with_history(
            authors, Author, default_user=user, default_change_reason=reason or None
        )


def author_update(*, author: Author, actor, reason: str = "", **fields: Any) -> Author:
    for name, value in fields.items():
        setattr(author, name, value)
    author.full_clean()
    record_actor(author, actor, reason)
    author.save()
    return author


def author_delete(*, author: Author, actor) -> None:
    with transaction.atomic():
        if Book.objects.filter(author_id=author.pk).exists():
            raise ProtectedFromDeletion(
                "This author has books in the catalogue; delete or reassign them first."
            )
        record_actor(author, actor)
        author.delete()


def _isbn_or_error(raw: str) -> str:
    try:
        return normalize_isbn(raw)
    except ValidationError as error:
        raise ValidationError({"isbn": error.messages}) from None


def book_create(
    *,
    actor,
    total_copies: int = 1,
    available_copies: int | None = None,
    reason: str = "",
    **fields: Any,
) -> Book:
    if "isbn" in fields:
        fields["isbn"] = _isbn_or_error(fields["isbn"])
    if available_copies is None:
        available_copies = total_copies
    if available_copies > total_copies:
        raise ValidationError({"available_copies": "Available copies cannot exceed total copies."})
    book = Book(total_copies=total_copies, available_copies=available_copies, **fields)
    # The copy constraints were just checked above (Django would spend a query on each);
    # the database still enforces them.
    book.full_clean(validate_constraints=False)
    record_actor(book, actor, reason)
    try:
        with transaction.atomic():
            book.save()
    except IntegrityError:
        # full_clean checked uniqueness, but a concurrent insert can still win the race.
        raise ValidationError({"isbn": "A book with this ISBN already exists."}) from None
    return book


def book_new_validate(book: Book) -> None:
    """Check an unsaved book as ``book_create`` would, without a query.

    Normalises the ISBN, puts every copy on the shelf when ``available_copies`` is None,
    and raises a ValidationError dict for bad fields or copy counts. Whether the ISBN is
    free and the author exists is for the caller (``book_create_many`` asks once per
    batch; the constraints stand behind both).
    """
    errors = {}
    try:
        book.isbn = normalize_isbn(book.isbn or "")
    except ValidationError as error:
        errors["isbn"] = error.messages
    if book.available_copies is None:
        book.available_copies = book.total_copies
    try:
        book.full_clean(
            exclude=["author", *errors], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if book.author_id is None:
        errors["author"] = ["An author is required."]
    counts_valid = isinstance(book.total_copies, int) and isinstance(book.available_copies, int)
    if counts_valid and book.available_copies > book.total_copies:
        errors["available_copies"] = ["Available copies cannot exceed total copies."]
    if errors:
        raise ValidationError(errors)


def book_create_many(*, actor, books: list[Book], reason: str = "") -> list[Book]:
    """Create a batch of books with the rules of ``book_create``, in a few statements.

    For imports of thousands of titles: each book is checked by ``book_new_validate``;
    the batch's ISBNs are checked against the catalogue and each other in one query, and
    the unique constraint stands behind that. The books and their history rows (with
    ``actor`` and ``reason``) are inserted in bulk. Raises a ValidationError naming the
    first offending books.
    """
    problems = []
    for book in books:
        try:
            book_new_validate(book)
        except ValidationError as error:
            problems.append(f"{book.isbn or book.title}: {' '.join(error.messages)}")
    isbns = Counter(book.isbn for book in books)
    repeated = sorted(isbn for isbn, count in isbns.items() if count > 1)
    taken = sorted(Book.objects.filter(isbn__in=isbns).values_list("isbn", flat=True))
    if repeated or taken:
        problems.append("ISBN already in the catalogue or repeated: " + ", ".join(taken + repeated))
    if problems:
        raise ValidationError(problems[:10])
    user = actor if actor is not None and actor.is_authenticated else None
    try:
        with transaction.atomic():
            return bulk_create_with_history(
                books, Book, default_user=user, default_change_reason=reason or None
            )
    except IntegrityError:
        # A concurrent insert of one of these ISBNs won the race.
        raise ValidationError({"isbn": "A book with one of these ISBNs already exists."}) from None


def book_copies_validate(
    *,
    book: Book,
    on_loan: int,
    total_copies: int | None = None,
    available_copies: int | None = None,
) -> tuple[int, int]:
    """The copy counts a staff edit would leave, or a ValidationError dict.

    Pure: reads nothing (``on_loan`` is the caller's count of open loans; the copies on
    the hold shelf are the book's ``held_copies``). ``None`` keeps a count as it is, and a
    total changed alone moves the shelf count by the same amount. ``book_update`` calls it
    under the book's lock; the admin form calls it first so its messages land on the fields.
    """
    held = book.held_copies or 0
    new_total = book.total_copies if total_copies is None else total_copies
    if available_copies is None:
        # Adding or removing copies moves the shelf count by the same amount.
        new_available = book.available_copies + (new_total - book.total_copies)
    else:
        new_available = available_copies
    errors = {}
    if new_total < on_loan + held:
        if held:
            errors["total_copies"] = (
                f"{on_loan} copies are on loan and {held} on the hold shelf; "
                f"total copies cannot drop below {on_loan + held}."
            )
        else:
            errors["total_copies"] = (
                f"{on_loan} copies are on loan; total copies cannot drop below that."
            )
    if new_available < 0:
        errors["available_copies"] = "Available copies cannot be negative."
    elif new_available > new_total - on_loan - held:
        errors["available_copies"] = (
            f"At most {max(new_total - on_loan - held, 0)} copies can be available "
            f"({new_total} in total, {_copies_out(on_loan, held)})."
        )
    if errors:
        raise ValidationError(errors)
    return new_total, new_available


def _copies_out(on_loan: int, held: int) -> str:
    text = f"{on_loan} on loan"
    return f"{text}, {held} on the hold shelf" if held else text


# Written by book_update itself; the counters are the copy ledger's.
_BOOK_FIELDS = ("title", "author", "isbn", "genre", "publication_date")


def book_update(
    *,
    book_id: int,
    actor,
    total_copies: int | None = None,
    available_copies: int | None = None,
    reason: str = "",
    **fields: Any,
) -> Book:
    """Edit a book; copy changes are checked against the loans and holds of this instant.

    Copies staff put back or add serve the title's waiting holds first (the copy ledger);
    the book comes back with ``trapped_holds``, the holds that became ready.
    """
    if "isbn" in fields:
        fields["isbn"] = _isbn_or_error(fields["isbn"])
    with transaction.atomic():
        # The row lock keeps a borrow, return or hold from moving the counters between our
        # count of open loans and our writes.
        book = copies.book_lock(book_id)
        if book is None:
            raise BookNotFound()
        on_loan = Borrow.objects.open().filter(book_id=book_id).count()
        new_total, new_available = book_copies_validate(
            book=book, on_loan=on_loan, total_copies=total_copies, available_copies=available_copies
        )
        for name, value in fields.items():
            setattr(book, name, value)
        # book_copies_validate has checked what the copy constraints check.
        book.full_clean(validate_constraints=False)
        trapped = copies.copies_adjust(
            book=book, total=new_total, available=new_available, actor=actor, reason=reason
        )
        book.refresh_from_db(fields=["total_copies", "available_copies", "held_copies"])
        record_actor(book, actor, reason)
        try:
            with transaction.atomic():
                book.save(update_fields=_BOOK_FIELDS)
        except IntegrityError:
            raise ValidationError({"isbn": "A book with this ISBN already exists."}) from None
    book.trapped_holds = trapped
    return book


def book_delete(*, book: Book, actor) -> None:
    with transaction.atomic():
        if Borrow.objects.filter(book_id=book.pk).exists():
            raise ProtectedFromDeletion(
                "This book has borrow history; it cannot be deleted. "
                "Set its copies to zero to withdraw it."
            )
        record_actor(book, actor)
        book.delete()
