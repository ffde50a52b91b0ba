"""Loans as the API reads and writes them."""

from rest_framework import serializers

from backoffice.core.serializers import AnswerModelSerializer, IdField, StrictInputMixin
from library.models import Borrow


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


class BorrowSerializer(AnswerModelSerializer):
    book_title = serializers.CharField(source="book.title", read_only=True)
    author = serializers.IntegerField(source="book.author_id", read_only=True)
    author_name = serializers.CharField(source="book.author.name", read_only=True)
    genre = serializers.CharField(source="book.genre", read_only=True)
    borrowed_by = serializers.CharField(source="user.username", read_only=True)
    is_returned = serializers.BooleanField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    renewals = serializers.IntegerField(read_only=True, help_text="Times this loan was renewed.")
    renewals_left = serializers.IntegerField(
        read_only=True, help_text="Renewals still allowed (RENEWALS_ALLOWED minus renewals)."
    )

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
            "renewals",
            "renewals_left",
        ]
        read_only_fields = fields
