"""Authors and books as the API reads and writes them."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from backoffice.core.serializers import (
    IdField,
    ModelSerializer,
    QueryIntegerField,
    StrictCharField,
    StrictModelSerializer,
)
from library.isbn import normalize_isbn
from library.models import MAX_COPIES, Author, Book


class AuthorSerializer(StrictModelSerializer):
    book_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Author
        fields = ["id", "name", "bio", "birthdate", "nationality", "book_count"]


class AuthorSummarySerializer(ModelSerializer):
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
    on_loan = serializers.IntegerField(read_only=True, help_text="Copies on loan now.")
    held_copies = serializers.IntegerField(
        read_only=True,
        help_text="Copies on the hold shelf for patrons with ready holds (never available).",
    )
    holds_waiting = serializers.IntegerField(
        read_only=True, help_text="Holds waiting in this title's queue."
    )

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
            "held_copies",
            "on_loan",
            "holds_waiting",
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


class AvailableBookSerializer(ModelSerializer):
    author = AuthorSummarySerializer(read_only=True)

    class Meta:
        model = Book
        fields = ["id", "title", "author", "isbn", "available_copies", "held_copies"]


class GenreAvailabilitySerializer(serializers.Serializer):
    genre = serializers.CharField()
    available_copies = serializers.IntegerField()
    available_titles = serializers.IntegerField()
    held_copies = serializers.IntegerField(help_text="On the hold shelf; not available.")
    holds_waiting = serializers.IntegerField()
    books = AvailableBookSerializer(many=True)


class AvailableByGenreQuerySerializer(serializers.Serializer):
    # Blank means every genre, as leaving it out does.
    genre = serializers.CharField(required=False, allow_blank=True, max_length=64)
    limit = QueryIntegerField(
        required=False, default=100, min_value=1, max_value=1000, help_text="Titles per genre."
    )
