from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from rest_framework import serializers

from backoffice.core.serializers import IdField, IsoDateField, StrictInputMixin
from library.isbn import normalize_isbn
from library.models import MAX_COPIES, Author, Book, Borrow


class _PresentMeansGiven:
    """In a query string DRF reads ``?limit=`` (empty) as "not given" and falls back to
    the default; the schema says a number or a date, so an empty one is malformed."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


class QueryDateField(_PresentMeansGiven, IsoDateField):
    """A period's bound: ``YYYY-MM-DD``, a day that exists in every time zone."""

    def __init__(self, **kwargs):
        super().__init__(bounded=True, **kwargs)


class QueryIntegerField(_PresentMeansGiven, serializers.IntegerField):
    def to_internal_value(self, data):
        # DRF reads "٣" as 3 and "1_0" as 10; a number in a query string is ASCII digits.
        if isinstance(data, str) and not (data.isascii() and data.lstrip("-").isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Text must be a JSON string: DRF would store ``{"name": 0}`` as "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(StrictInputMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DateField: IsoDateField,
    }


class AuthorSerializer(StrictModelSerializer):
    book_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Author
        fields = ["id", "name", "bio", "birthdate", "nationality", "book_count"]


class AuthorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class BookSerializer(StrictModelSerializer):
    isbn = StrictCharField(
        max_length=17, help_text="ISBN-10 or ISBN-13, hyphens allowed; stored as ISBN-13."
    )
    author_name = serializers.CharField(source="author.name", read_only=True)
    total_copies = serializers.IntegerField(min_value=0, max_value=MAX_COPIES, required=False)
    available_copies = serializers.IntegerField(
        min_value=0,
        max_value=MAX_COPIES,
        required=False,
        help_text="Defaults to total_copies on creation; on update, follows total_copies.",
    )
    on_loan = serializers.IntegerField(read_only=True)

    class Meta:
        model = Book
        # A key as a whole number within the database's range: 1.5 or 2**64 are a 400, not
        # a silently truncated id or a database error.
        extra_kwargs = {"author": {"pk_field": IdField()}}
        fields = [
            "id",
            "title",
            "author",
            "author_name",
            "isbn",
            "genre",
            "publication_date",
            "total_copies",
            "available_copies",
            "on_loan",
        ]

    def validate_isbn(self, value: str) -> str:
        try:
            return normalize_isbn(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate_genre(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("A genre is required.")
        return value


class AvailableBookSerializer(serializers.ModelSerializer):
    author = AuthorSummarySerializer(read_only=True)

    class Meta:
        model = Book
        fields = ["id", "title", "author", "isbn", "available_copies"]


class GenreAvailabilitySerializer(serializers.Serializer):
    genre = serializers.CharField()
    available_copies = serializers.IntegerField()
    available_titles = serializers.IntegerField()
    books = AvailableBookSerializer(many=True)


class AvailableByGenreQuerySerializer(serializers.Serializer):
    # Blank means every genre, as leaving it out does.
    genre = serializers.CharField(required=False, allow_blank=True, max_length=64)
    limit = QueryIntegerField(
        required=False, default=100, min_value=1, max_value=1000, help_text="Titles per genre."
    )


class BorrowCreateSerializer(StrictInputMixin, serializers.Serializer):
    # Ids only: whether the book (or the user) exists is the borrow service's answer, a
    # 404, not a 400 from a lookup here.
    book = IdField(help_text="The book to borrow.")
    user = IdField(
        required=False,
        help_text=(
            "Librarians only: the patron to lend the book to (the history records the "
            "librarian). Left out, or your own id: you borrow it yourself."
        ),
    )


class BorrowSerializer(serializers.ModelSerializer):
    book_title = serializers.CharField(source="book.title", read_only=True)
    author = serializers.IntegerField(source="book.author_id", read_only=True)
    author_name = serializers.CharField(source="book.author.name", read_only=True)
    genre = serializers.CharField(source="book.genre", read_only=True)
    borrowed_by = serializers.CharField(source="user.username", read_only=True)
    is_returned = serializers.BooleanField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Borrow
        fields = [
            "id",
            "book",
            "book_title",
            "author",
            "author_name",
            "genre",
            "user",
            "borrowed_by",
            "borrow_date",
            "due_date",
            "return_date",
            "is_returned",
            "is_overdue",
        ]
        read_only_fields = fields


class StatsQuerySerializer(serializers.Serializer):
    start = QueryDateField(required=False, help_text="First day, inclusive (ISO 8601).")
    end = QueryDateField(required=False, help_text="Last day, inclusive (ISO 8601).")
    limit = QueryIntegerField(
        required=False, default=5, min_value=1, max_value=50, help_text="Rows in each top list."
    )

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and start > end:
            raise serializers.ValidationError({"end": "The end date is before the start date."})
        if start and not end and start > timezone.localdate():
            # The end defaults to today: a later start would make an inverted period.
            raise serializers.ValidationError(
                {"start": "The start date is after today, the default end date."}
            )
        return attrs


class BookBorrowCountSerializer(serializers.ModelSerializer):
    author = AuthorSummarySerializer(read_only=True)
    borrow_count = serializers.IntegerField()

    class Meta:
        model = Book
        fields = ["id", "title", "author", "borrow_count"]


class BorrowerCountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    borrow_count = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    borrowed_count = serializers.IntegerField()
    most_borrowed_books = BookBorrowCountSerializer(many=True)
    most_active_borrowers = BorrowerCountSerializer(many=True)
    average_borrow_duration_days = serializers.FloatField(allow_null=True)
