"""Demo data: the fixtures catalogue, staff and patron accounts, and a borrow history."""

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.roles import AUDITORS, LIBRARIANS
from library import services
from library.isbn import normalize_isbn
from library.models import Author, Book, Borrow
from library.services import copies

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


class DemoRefused(Exception):
    """Demo data asked for outside development."""


def demo_allowed_or_raise() -> None:
    """Demo accounts have passwords printed in the docs: production never gets them."""
    if settings.PRODUCTION:
        raise DemoRefused(
            "Demo data and accounts (admin/admin-shelfwise and the others) are for development "
            "only, and DJANGO_ENV is production. Create real staff accounts with "
            "'manage.py createsuperuser' instead."
        )


DEMO_ACCOUNTS = [
    DemoAccount("admin", "admin-shelfwise", "administrator"),
    DemoAccount("librarian", "librarian-shelfwise", "librarian"),
    DemoAccount("auditor", "auditor-shelfwise", "auditor"),
    DemoAccount("alice", "alice-shelfwise", "patron"),
    DemoAccount("bob", "bob-shelfwise", "patron"),
]


def _optional_date(raw: str) -> date | None:
    return date.fromisoformat(raw) if raw else None


def catalogue_load(fixtures_dir: Path = FIXTURES_DIR) -> tuple[int, int]:
    with open(fixtures_dir / "authors.csv", newline="", encoding="utf-8") as handle:
        authors = [
            Author(
                name=row["name"],
                bio=row["bio"],
                birthdate=_optional_date(row["birthdate"]),
                nationality=row["nationality"],
            )
            for row in csv.DictReader(handle)
        ]
    bulk_create_with_history(authors, Author)
    by_name = dict(Author.objects.values_list("name", "id"))
    with open(fixtures_dir / "books.csv", newline="", encoding="utf-8") as handle:
        books = [
            Book(
                title=row["title"],
                author_id=by_name[row["author"]],
                isbn=normalize_isbn(row["isbn"]),
                genre=row["genre"],
                publication_date=_optional_date(row["publication_date"]),
                total_copies=int(row["total_copies"]),
                available_copies=int(row["total_copies"]),
            )
            for row in csv.DictReader(handle)
        ]
    bulk_create_with_history(books, Book)
    return len(authors), len(books)


def accounts_create() -> list[DemoAccount]:
    demo_allowed_or_raise()
    User = get_user_model()
    groups = {name: Group.objects.get(name=name) for name in (LIBRARIANS, AUDITORS)}
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=account.username,
            defaults={
                "email": f"{account.username}@shelfwise.example",
                "first_name": account.username.capitalize(),
                "is_staff": account.role != "patron",
                "is_superuser": account.role == "administrator",
            },
        )
        if created:
            user.set_password(account.password)
            user.save(update_fields=["password"])
        if account.role == "librarian":
            user.groups.add(groups[LIBRARIANS])
        elif account.role == "auditor":
            user.groups.add(groups[AUDITORS])
    return DEMO_ACCOUNTS


def history_generate(*, patrons: int = 40, days: int = 90, seed: int = 7) -> int:
    """Past loans for demo statistics: mostly returned, some open, a few overdue."""
    User = get_user_model()
    rng = random.Random(seed)
    patron_users = list(User.objects.patrons())
    for number in range(len(patron_users), patrons):
        patron_users.append(
            User.objects.create_user(
                username=f"reader{number:03d}",
                email=f"reader{number:03d}@shelfwise.example",
                password=None,
            )
        )
    books = list(Book.objects.values_list("id", "total_copies"))
    now = timezone.now()
    loan_days = settings.LOAN_PERIOD_DAYS
    open_per_book: dict[int, int] = {}
    open_pairs: set[tuple[int, int]] = set()
    open_per_patron: dict[int, int] = {}
    borrows = []
    for _ in range(days * 6):
        book_id, owned = (
            books[min(int(rng.paretovariate(1.2)) - 1, len(books) - 1)]
            if rng.random() < 0.4
            else rng.choice(books)
        )
        user = rng.choice(patron_users)
        borrowed = now - timedelta(days=rng.uniform(0.5, days), hours=rng.uniform(0, 8))
        due = borrowed + timedelta(days=loan_days)
        returned = borrowed + timedelta(days=rng.uniform(1, loan_days + 6), hours=rng.uniform(0, 5))
        still_out = returned > now or rng.random() < 0.04
        if still_out:
            if (
                open_per_book.get(book_id, 0) >= owned
                or (user.pk, book_id) in open_pairs
                or open_per_patron.get(user.pk, 0) >= settings.MAX_OPEN_BORROWS
            ):
                continue
            open_per_book[book_id] = open_per_book.get(book_id, 0) + 1
            open_pairs.add((user.pk, book_id))
            open_per_patron[user.pk] = open_per_patron.get(user.pk, 0) + 1
            returned = None
        borrows.append(
            Borrow(
                user=user, book_id=book_id, borrow_date=borrowed, due_date=due, return_date=returned
            )
        )
    bulk_create_with_history(borrows, Borrow)
    copies.counters_recompute()
    return len(borrows)


def demo_load() -> dict:
    """Load everything once; later runs change nothing and report what is there."""
    demo_allowed_or_raise()  # before the transaction: a refusal opens no connection
    with transaction.atomic():
        accounts_create()
        if Book.objects.exists():
            return {
                "loaded": False,
                "books": Book.objects.count(),
                "borrows": Borrow.objects.count(),
            }
        authors, books = catalogue_load()
        borrows = history_generate()
        circulation = circulation_today()
        return {
            "loaded": True,
            "authors": authors,
            "books": books,
            "borrows": borrows,
            **circulation,
        }


def circulation_today(*, seed: int = 11) -> dict:
    """Renewed loans and holds, made through the services as they would be at the desk.

    A few open loans are renewed by their patrons; on a few titles whose copies are all
    out, patrons place holds, and one copy of some of them comes back, so its first hold
    is ready on the hold shelf. Alice (a demo login) has a hold ready to collect.
    """
    rng = random.Random(seed)
    User = get_user_model()
    open_loans = list(Borrow.objects.open().order_by("id").values_list("id", "user_id"))
    renewed = 0
    for borrow_id, user_id in rng.sample(open_loans, len(open_loans)):
        if renewed == 8:
            break
        try:
            services.borrow_renew(
                borrow_id=borrow_id, actor=User.objects.get(pk=user_id), reason="Renewed online"
            )
        except services.PatronBlocked:
            continue  # a patron with a loan long overdue renews nothing
        renewed += 1

    # Titles with every copy out, so a hold is what a patron can do.
    all_out = list(Book.objects.filter(available_copies=0, held_copies=0).order_by("title")[:6])
    patrons = list(User.objects.patrons().order_by("username"))
    alice = User.objects.filter(username="alice").first()
    placed = ready = 0
    for index, book in enumerate(all_out):
        borrowers = set(Borrow.objects.open().filter(book=book).values_list("user_id", flat=True))
        queue = [p for p in patrons if p.pk not in borrowers]
        rng.shuffle(queue)
        if index == 0 and alice is not None and alice.pk not in borrowers:
            queue = [alice] + [p for p in queue if p.pk != alice.pk]
        for patron in queue[: 1 + index % 3]:
            try:
                services.hold_place(user=patron, book_id=book.pk)
            except services.DomainError:
                continue  # that patron is at the hold limit
            placed += 1
        if index % 2 == 0:
            loan = Borrow.objects.open().filter(book=book).select_related("user").first()
            returned = services.borrow_return(
                borrow_id=loan.pk, actor=loan.user, reason="Returned at the desk"
            )
            ready += returned.trapped_hold is not None
    return {"renewed": renewed, "holds": placed, "holds_ready": ready}
