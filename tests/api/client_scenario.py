"""A patron's and a librarian's day through a client generated from /schema/, and nothing else.

Run by tests/api/test_generated_client.py against a live server, after it generated
``shelfwise_client`` with openapi-python-client and type-checked this file with mypy
--strict: a schema change that breaks generated clients (a renamed operation, a type that
lies, an error the client cannot parse) fails here.

    python client_scenario.py BASE_URL PATRON PASSWORD LIBRARIAN PASSWORD
"""

import sys
import uuid
from typing import TypeVar

from shelfwise_client import AuthenticatedClient, Client
from shelfwise_client.api.auth import get_current_user, login, logout
from shelfwise_client.api.authors import create_author
from shelfwise_client.api.books import create_book, list_books
from shelfwise_client.api.borrow import create_borrow, list_borrows, renew_borrow, return_borrow
from shelfwise_client.api.holds import cancel_hold, place_hold
from shelfwise_client.api.reports import generate_report, get_latest_report, get_report_task
from shelfwise_client.api.stats import get_stats
from shelfwise_client.models import (
    AuthorRequest,
    Book,
    BookRequest,
    Borrow,
    BorrowCreateRequest,
    Error,
    ErrorCode,
    Hold,
    HoldCreateRequest,
    HoldStatusEnum,
    IssuedToken,
    ListBooksOrdering,
    LoginRequest,
    PaginatedBookList,
    PaginatedBorrowList,
    Report,
    ReportEnqueued,
    ReportTask,
    StateEnum,
    Stats,
    ValidationError,
)

T = TypeVar("T")


def expect(answer: object, kind: type[T], what: str) -> T:
    if not isinstance(answer, kind):
        raise SystemExit(f"{what}: expected {kind.__name__}, got {answer!r}")
    return answer


def refused(answer: object, code: ErrorCode, what: str) -> None:
    error = expect(answer, Error, what)
    if error.code != code:
        raise SystemExit(f"{what}: expected code {code}, got {error.code} ({error.detail})")


def signed_in(base_url: str, username: str, password: str) -> AuthenticatedClient:
    # Logging in needs no token: the plain Client does.
    token = expect(
        login.sync(
            client=Client(base_url), body=LoginRequest(username=username, password=password)
        ),
        IssuedToken,
        "login",
    )
    return AuthenticatedClient(base_url, token=token.key, prefix="Token")


def patron_day(base_url: str, username: str, password: str) -> None:
    anonymous = Client(base_url)
    wrong = login.sync(client=anonymous, body=LoginRequest(username=username, password="nope"))
    if "non_field_errors" not in expect(wrong, ValidationError, "a wrong password"):
        raise SystemExit(f"a wrong password: {wrong!r}")

    patron = signed_in(base_url, username, password)
    me = get_current_user.sync(client=patron)
    if me is None or isinstance(me, Error) or me.username != username:
        raise SystemExit(f"get_current_user: {me!r}")

    # Search the catalogue, as anyone may: one page at a time.
    found = expect(
        list_books.sync(
            client=anonymous,
            search="Moonstone",
            available=True,
            ordering=ListBooksOrdering.TITLE_DESC,
            page_size=1,
        ),
        PaginatedBookList,
        "search",
    )
    if found.count != 1 or found.previous is not None or found.next_ is not None:
        raise SystemExit(f"search: {found!r}")
    moonstone: Book = found.results[0]
    held_title = expect(
        list_books.sync(client=anonymous, search="Dracula", available=False),
        PaginatedBookList,
        "search for a title with no copy on the shelf",
    ).results[0]

    loan = expect(
        create_borrow.sync(client=patron, body=BorrowCreateRequest(book=moonstone.id)),
        Borrow,
        "borrow",
    )
    refused(
        create_borrow.sync(client=patron, body=BorrowCreateRequest(book=moonstone.id)),
        ErrorCode.ALREADY_BORROWED,
        "borrowing it twice",
    )
    renewed = expect(renew_borrow.sync(loan.id, client=patron), Borrow, "renew")
    if renewed.renewals != 1 or renewed.due_date <= loan.due_date:
        raise SystemExit(f"renew: {renewed!r}")

    hold = expect(
        place_hold.sync(client=patron, body=HoldCreateRequest(book=held_title.id)),
        Hold,
        "place a hold",
    )
    if hold.status != HoldStatusEnum.WAITING or hold.position != 1:
        raise SystemExit(f"place a hold: {hold!r}")
    cancelled = expect(cancel_hold.sync(hold.id, client=patron), Hold, "cancel the hold")
    if cancelled.status != HoldStatusEnum.CANCELLED:
        raise SystemExit(f"cancel the hold: {cancelled!r}")
    refused(cancel_hold.sync(hold.id, client=patron), ErrorCode.HOLD_CLOSED, "cancel twice")

    history = expect(
        list_borrows.sync(client=patron, returned=False, overdue=False, genre="Mystery"),
        PaginatedBorrowList,
        "history",
    )
    if [row.id for row in history.results] != [loan.id]:
        raise SystemExit(f"history: {history!r}")

    returned = expect(return_borrow.sync(loan.id, client=patron), Borrow, "return")
    if not returned.is_returned or returned.return_date is None:
        raise SystemExit(f"return: {returned!r}")
    refused(return_borrow.sync(loan.id, client=patron), ErrorCode.ALREADY_RETURNED, "again")
    past = expect(list_borrows.sync(client=patron, returned=True), PaginatedBorrowList, "past")
    if [row.id for row in past.results] != [loan.id]:
        raise SystemExit(f"history of returned loans: {past!r}")

    refused(
        create_author.sync(client=patron, body=AuthorRequest(name="X")),
        ErrorCode.PERMISSION_DENIED,
        "a patron writing the catalogue",
    )
    logout.sync_detailed(client=patron)
    refused(
        get_current_user.sync(client=patron), ErrorCode.AUTHENTICATION_FAILED, "a revoked token"
    )


def librarian_day(base_url: str, username: str, password: str) -> None:
    librarian = signed_in(base_url, username, password)
    author = create_author.sync(
        client=librarian, body=AuthorRequest(name="Elizabeth Gaskell", nationality="British")
    )
    if author is None or isinstance(author, Error | ValidationError):
        raise SystemExit(f"create_author: {author!r}")

    invalid = create_book.sync(
        client=librarian,
        body=BookRequest(title="Cranford", author=author.id, isbn="123", genre="Novel"),
    )
    if "isbn" not in expect(invalid, ValidationError, "a book with a bad ISBN"):
        raise SystemExit(f"a book with a bad ISBN: {invalid!r}")
    book = expect(
        create_book.sync(
            client=librarian,
            body=BookRequest(
                title="Cranford",
                author=author.id,
                isbn="978-0-19-953575-0",
                genre="Novel",
                total_copies=2,
            ),
        ),
        Book,
        "create_book",
    )
    if (book.available_copies, book.publication_date) != (2, None):
        raise SystemExit(f"create_book: {book!r}")

    stats = expect(get_stats.sync(client=librarian, limit=3), Stats, "stats")
    if stats.borrowed_count < 1 or len(stats.most_borrowed_books) > 3:
        raise SystemExit(f"stats: {stats!r}")

    queued = expect(generate_report.sync(client=librarian), ReportEnqueued, "generate_report")
    task = expect(get_report_task.sync(str(queued.task_id), client=librarian), ReportTask, "task")
    if task.state != StateEnum.SUCCESS or not isinstance(task.file, str):
        raise SystemExit(f"report task: {task!r}")
    report = expect(get_latest_report.sync(client=librarian), Report, "get_latest_report")
    if report.file != task.file or report.total_books.titles < 3:
        raise SystemExit(f"latest report: {report!r}")
    refused(
        get_report_task.sync(str(uuid.uuid4()), client=librarian),
        ErrorCode.NOT_FOUND,
        "an unknown task",
    )


def main(argv: list[str]) -> None:
    base_url, patron, patron_password, librarian, librarian_password = argv
    patron_day(base_url, patron, patron_password)
    librarian_day(base_url, librarian, librarian_password)
    print("scenario: the patron's and the librarian's flows passed")


if __name__ == "__main__":
    main(sys.argv[1:])
