import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.roles import AUDITORS, LIBRARIANS
from library.isbn import isbn13_check_digit
from library.models import Author, Book, Borrow, Hold
from library.services import copies

PASSWORD = "correct-horse-battery"


def isbn13_for(number: int) -> str:
    first12 = f"978{number:09d}"
    return first12 + isbn13_check_digit(first12)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"patron{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save(update_fields=["password"])


class LibrarianFactory(UserFactory):
    username = factory.Sequence(lambda n: f"librarian{n}")
    is_staff = True

    @factory.post_generation
    def librarian_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=LIBRARIANS))


class AuditorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"auditor{n}")
    is_staff = True

    @factory.post_generation
    def auditor_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=AUDITORS))


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author {n}")
    nationality = "British"


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Book

    title = factory.Sequence(lambda n: f"Book {n:04d}")
    author = factory.SubFactory(AuthorFactory)
    isbn = factory.Sequence(isbn13_for)
    genre = "Mystery"
    total_copies = 3
    available_copies = factory.SelfAttribute("total_copies")


class BorrowFactory(factory.django.DjangoModelFactory):
    """A loan as the database would hold it; keeps the book's shelf count in step."""

    class Meta:
        model = Borrow

    user = factory.SubFactory(UserFactory)
    book = factory.SubFactory(BookFactory)
    borrow_date = factory.LazyFunction(timezone.now)
    due_date = factory.LazyAttribute(
        lambda borrow: borrow.borrow_date + timezone.timedelta(days=14)
    )
    return_date = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # An open loan takes its copy off the shelf through the copy ledger, as a borrow
        # would; a past loan moves nothing.
        if kwargs.get("return_date") is None:
            book = kwargs["book"]
            if not copies.copy_take_from_shelf(book.pk):
                raise ValueError(f"no copy of {book} on the shelf to lend")
        borrow = super()._create(model_class, *args, **kwargs)
        borrow.book.refresh_from_db()
        return borrow


class HoldFactory(factory.django.DjangoModelFactory):
    """A waiting hold; ``ready=True`` sets a copy from the shelf aside for it (the ledger)."""

    class Meta:
        model = Hold
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    book = factory.SubFactory(BookFactory)
    placed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def ready(self, create, extracted, **kwargs):
        if create and extracted:
            with transaction.atomic():
                copies.book_lock(self.book_id)
                copies.copy_trap_from_shelf(
                    hold=self, now=timezone.now(), actor=None, reason="Test set-up"
                )
            self.book.refresh_from_db()
