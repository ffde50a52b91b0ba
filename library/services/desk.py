"""The circulation desk: what a scan means, then the circulation service that does it.

A scan is a card number (open that patron), an ISBN (lend it to the open patron, or check a
copy in when no patron is open) or words (search patrons by name). This module only works
out which; every rule stays in ``loans`` and ``holds``, which word their refusals for the
member of staff at the desk.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from accounts.roles import is_librarian
from backoffice.core.errors import DomainError, NotFound
from library import selectors
from library.isbn import normalize_isbn
from library.models import Book, Borrow

from .holds import hold_cancel, hold_place
from .loans import borrow_create_for_patron, borrow_return
from .renewals import borrow_renew_many

_ISBN_SHAPE = frozenset("0123456789Xx- ")


class DeskNotAllowed(DomainError):
    status_code = 403
    code = "not_allowed_at_desk"
    default_detail = "Only librarians lend, return, renew and place holds at the desk."


class NothingMatches(NotFound):
    pass


class BookNotInCatalogue(NotFound):
    def __init__(self, isbn: str):
        super().__init__(f"No book with ISBN {isbn} is in the catalogue.")


class NotOnLoan(DomainError):
    code = "not_on_loan"

    def __init__(self, book: Book):
        super().__init__(f"No copy of “{book.title}” is on loan; there is nothing to check in.")


@dataclass
class ScanResult:
    """What a scan came to. ``kind`` is one of: patron, lent, returned, choose, search."""

    kind: str
    patron: object = None
    borrow: Borrow | None = None
    book: Book | None = None
    loans: list[Borrow] = field(default_factory=list)
    patrons: list = field(default_factory=list)


def desk_may_act(actor) -> bool:
    return is_librarian(actor)


def _require_librarian(actor) -> None:
    if not desk_may_act(actor):
        raise DeskNotAllowed()


def scan_as_isbn(text: str) -> str | None:
    """The ISBN-13 a scan spells, None when it is not shaped like an ISBN at all.

    A scan of ISBN shape with a wrong check digit is refused (ValidationError) rather than
    searched for as a name: a misread barcode must not silently look up nobody.
    """
    compact = text.replace("-", "").replace(" ", "")
    if not text or not set(text) <= _ISBN_SHAPE or len(compact) not in (10, 13):
        return None
    return normalize_isbn(text)


def desk_scan(*, text: str, actor, patron=None) -> ScanResult:
    """Resolve one scan at the desk and carry it out.

    A card opens its patron (anyone who may see the desk). An ISBN with ``patron`` open
    lends that title to them (fulfilling their ready hold, if any); without one it checks
    a copy in: at once if one patron has the title out, else the desk lists who has.
    Anything else searches patrons by name.
    """
    text = (text or "").strip()[:100]
    if not text:
        raise NothingMatches("Scan a card or a book, or type a name.")
    if not text.isprintable():
        # A control character (a NUL from a misconfigured scanner) names nobody, and
        # PostgreSQL refuses it in a query.
        raise NothingMatches("That scan holds characters no card, ISBN or name has; scan again.")
    found = selectors.patron_by_card(text)
    if found is not None:
        return ScanResult(kind="patron", patron=found)
    try:
        isbn = scan_as_isbn(text)
    except ValidationError as error:
        raise NothingMatches(
            f"“{text}” is not a card number here, nor an ISBN: {error.messages[0]}"
        ) from None
    if isbn is None:
        if text.isdigit():
            raise NothingMatches(f"No library card has the number {text}.")
        patrons = selectors.patrons_search(text)
        if not patrons:
            raise NothingMatches(f"No patron's name, username or e-mail matches “{text}”.")
        return ScanResult(kind="search", patrons=patrons)
    _require_librarian(actor)
    book = selectors.book_by_isbn(isbn)
    if book is None:
        raise BookNotInCatalogue(isbn)
    if patron is not None:
        borrow = borrow_create_for_patron(
            user=patron, book_id=book.pk, actor=actor, reason="Lent at the desk"
        )
        return ScanResult(kind="lent", patron=patron, borrow=borrow, book=book)
    loans = selectors.book_open_loans(book.pk)
    if not loans:
        raise NotOnLoan(book)
    if len(loans) > 1:
        return ScanResult(kind="choose", book=book, loans=loans)
    borrow = desk_return(borrow_id=loans[0].pk, actor=actor)
    return ScanResult(kind="returned", patron=borrow.user, borrow=borrow, book=book)


def desk_return(*, borrow_id: int, actor) -> Borrow:
    """Check a loan in; ``trapped_hold`` on the answer says whether it goes to the hold shelf."""
    _require_librarian(actor)
    return borrow_return(borrow_id=borrow_id, actor=actor, reason="Returned at the desk")


def desk_renew(*, borrow_ids: list[int], actor) -> tuple[list[Borrow], list[tuple[int, str]]]:
    """Renew these loans (one, or all of a patron's); the renewed ones, and (id, refusal)
    for the others. A fixed number of queries however many loans."""
    _require_librarian(actor)
    renewed, refused = borrow_renew_many(
        borrow_ids=borrow_ids, actor=actor, reason="Renewed at the desk"
    )
    return renewed, [(borrow_id, error.detail) for borrow_id, error in refused]


def desk_hold_place(*, patron, text: str, actor):
    """Place a hold for ``patron`` on the title whose ISBN is ``text``."""
    _require_librarian(actor)
    try:
        isbn = scan_as_isbn((text or "").strip()[:100])
    except ValidationError as error:
        raise NothingMatches(error.messages[0]) from None
    if isbn is None:
        raise NothingMatches("Scan or type the book's ISBN to place a hold.")
    book = selectors.book_by_isbn(isbn)
    if book is None:
        raise BookNotInCatalogue(isbn)
    return hold_place(user=patron, book_id=book.pk, actor=actor, reason="Placed at the desk")


def desk_hold_cancel(*, hold_id: int, actor):
    _require_librarian(actor)
    return hold_cancel(hold_id=hold_id, actor=actor, reason="Cancelled at the desk")
