"""Response shapes of the reports API (they also document it in /schema/)."""

from rest_framework import serializers


class BookTotalsSerializer(serializers.Serializer):
    titles = serializers.IntegerField()
    copies = serializers.IntegerField()


class HoldTotalsSerializer(serializers.Serializer):
    held_copies = serializers.IntegerField(help_text="Copies on the hold shelf for ready holds.")
    waiting = serializers.IntegerField(help_text="Holds waiting in a queue.")


class GenreBorrowsSerializer(serializers.Serializer):
    genre = serializers.CharField()
    borrows = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="Name of the report file in REPORTS_DIR.")
    generated_at = serializers.DateTimeField()
    period_start = serializers.DateTimeField(
        help_text="Start of the rolling 30-day window of the *_last_30_days figures."
    )
    total_authors = serializers.IntegerField()
    total_books = BookTotalsSerializer()
    books_currently_borrowed = serializers.IntegerField(help_text="Open borrows.")
    holds = HoldTotalsSerializer(
        required=False, help_text="Absent from reports written before holds existed."
    )
    overdue_borrows = serializers.IntegerField()
    active_patrons_last_30_days = serializers.IntegerField(
        help_text="Patrons with at least one borrow in the window."
    )
    borrows_last_30_days = serializers.IntegerField()
    top_genres = GenreBorrowsSerializer(
        many=True, help_text="The five genres with the most borrows in the window."
    )


class ReportEnqueuedSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    status_url = serializers.URLField()


class ReportTaskSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    # The states a report task can be in: nothing revokes one, and RETRY is the task
    # waiting to try again after the database dropped its connection.
    state = serializers.ChoiceField(choices=["PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE"])
    file = serializers.CharField(required=False, help_text="Present once state is SUCCESS.")
    error = serializers.CharField(required=False, help_text="Present when state is FAILURE.")
    date_done = serializers.DateTimeField(required=False)
