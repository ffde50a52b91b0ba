"""Holds as the API reads and writes them."""

from rest_framework import serializers

from backoffice.core.serializers import IdField, ModelSerializer, StrictInputMixin
from library import selectors
from library.models import Hold

from .catalogue import AuthorSummarySerializer


class HoldCreateSerializer(StrictInputMixin, serializers.Serializer):
    # Ids only: whether the book (or the user) exists is the hold service's answer, a 404.
    book = IdField(help_text="The title to wait for; none of its copies may be on the shelf.")
    user = IdField(
        required=False,
        help_text=(
            "Librarians only: the patron to place the hold for (the history records the "
            "librarian). Left out, or your own id: the hold is yours."
        ),
    )


class HoldBookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = AuthorSummarySerializer()


class HoldSerializer(ModelSerializer):
    book = HoldBookSerializer(read_only=True)
    patron = serializers.CharField(source="user.username", read_only=True)
    position = serializers.SerializerMethodField(
        help_text="1-based place in the title's queue while waiting; null otherwise."
    )

    class Meta:
        model = Hold
        fields = [
            "id",
            "book",
            "user",
            "patron",
            "status",
            "position",
            "placed_at",
            "ready_at",
            "expires_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_position(self, hold) -> int | None:
        return selectors.position_of(hold)
