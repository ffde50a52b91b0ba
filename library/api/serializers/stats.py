"""The statistics query and answer."""

from django.utils import timezone
from rest_framework import serializers

from backoffice.core.serializers import ModelSerializer, QueryDateField, QueryIntegerField
from library.models import Book

from .catalogue import AuthorSummarySerializer


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


class BookBorrowCountSerializer(ModelSerializer):
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
    held_copies = serializers.IntegerField(
        help_text="Copies on the hold shelf now (whatever the period)."
    )
    holds_waiting = serializers.IntegerField(help_text="Holds waiting in a queue now.")
