"""Reader privacy in the API: the reading-history choice and the patron's data export."""

from rest_framework import serializers

from backoffice.core.serializers import StrictInputMixin
from library.models import MAX_RETENTION_DAYS, ReadingHistory

CHOICES = [
    ("library", "Follow the library's setting (LOAN_HISTORY_RETENTION_DAYS)"),
    (ReadingHistory.KEEP.value, "Keep my reading history"),
    (ReadingHistory.FORGET.value, "Forget returned loans after forget_after_days days"),
]


class WholeNumberField(serializers.IntegerField):
    """A JSON integer and nothing else: not "30", 30.0 or true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReadingHistoryChoiceSerializer(StrictInputMixin, serializers.Serializer):
    choice = serializers.ChoiceField(choices=CHOICES)
    forget_after_days = WholeNumberField(
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        required=False,
        allow_null=True,
        help_text="With `forget` only: days after its return that a loan keeps your name.",
    )
    library_retention_days = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The library's own setting; null: returned loans are kept.",
    )
    effective_retention_days = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="What applies to you now; null: your returned loans keep your name.",
    )

    def validate(self, attrs):
        days = attrs.get("forget_after_days")
        if attrs["choice"] == ReadingHistory.FORGET and days is None:
            raise serializers.ValidationError(
                {"forget_after_days": ["Say after how many days returned loans are forgotten."]}
            )
        if attrs["choice"] != ReadingHistory.FORGET and days is not None:
            raise serializers.ValidationError(
                {"forget_after_days": ["Only with the choice `forget`."]}
            )
        return attrs


class ExportBookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.CharField()
    isbn = serializers.CharField()


class ExportProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    card_number = serializers.CharField(required=False, help_text="Once cards are issued.")
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    is_active = serializers.BooleanField()


class ExportReadingHistorySerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=CHOICES)
    forget_after_days = serializers.IntegerField(allow_null=True)
    library_retention_days = serializers.IntegerField(allow_null=True)


class ExportLoanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    book = ExportBookSerializer()
    borrow_date = serializers.DateTimeField()
    due_date = serializers.DateTimeField()
    return_date = serializers.DateTimeField(allow_null=True)
    renewals = serializers.IntegerField()


class ExportHoldSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    book = ExportBookSerializer()
    status = serializers.CharField()
    placed_at = serializers.DateTimeField()
    ready_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    loan = serializers.IntegerField(allow_null=True, help_text="The loan that fulfilled it.")


class ExportHistorySerializer(serializers.Serializer):
    model = serializers.CharField(help_text="e.g. library.borrow, accounts.user")
    object_id = serializers.IntegerField()
    date = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    by = serializers.ChoiceField(
        choices=["you", "library staff", "system"],
        help_text="Who made the change; members of staff are not named.",
    )
    reason = serializers.CharField()
    values = serializers.DictField(help_text="The record's fields as this change left them.")


class ExportNoticeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    stage = serializers.IntegerField(
        help_text="Days before (courtesy) or after (overdue) the due date."
    )
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    loan = serializers.IntegerField(allow_null=True)
    hold = serializers.IntegerField(allow_null=True)
    title = serializers.CharField(allow_null=True)


class ExportNoticesSerializer(serializers.Serializer):
    courtesy_notices = serializers.BooleanField(help_text="Whether you get due-soon reminders.")
    sent = ExportNoticeSerializer(many=True)


class ExportBlockSerializer(serializers.Serializer):
    reason = serializers.CharField()
    set_at = serializers.DateTimeField()
    set_by = serializers.CharField(help_text='"library staff" or "system".')
    lifted_at = serializers.DateTimeField(allow_null=True)
    lift_reason = serializers.CharField(allow_blank=True)


class PatronExportSerializer(serializers.Serializer):
    """Documents GET /auth/user/export/ (the document is built by the selector)."""

    profile = ExportProfileSerializer()
    reading_history = ExportReadingHistorySerializer()
    loans = ExportLoanSerializer(many=True, help_text="Your loans not yet anonymised.")
    holds = ExportHoldSerializer(many=True)
    notices = ExportNoticesSerializer(help_text="The notices the library sent you.")
    blocks = ExportBlockSerializer(many=True, help_text="Blocks on your account, lifted or not.")
    history = ExportHistorySerializer(many=True, help_text="Every history row about you.")
    other_records = serializers.DictField(
        child=serializers.ListField(child=serializers.DictField()),
        help_text="Any other record keyed to you, by model.",
    )
