import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F
from django.utils import timezone

from accounts.roles import AUDITORS, LIBRARIANS
from library.isbn import isbn13_check_digit
from library.models import Author, Book, Borrow

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
        borrow = super()._create(model_class, *args, **kwargs)
        if borrow.return_date is None:
            Book.objects.filter(pk=borrow.book_id).update(
                available_copies=F("available_copies") - 1
            )
            borrow.book.refresh_from_db()
        return borrow
