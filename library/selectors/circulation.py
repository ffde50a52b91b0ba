"""Reads of loans: who may see which."""

from django.db.models import (
    QuerySet,
)

from accounts.roles import can_read_all_circulation
from library.models import Borrow


def borrow_list(*, user) -> QuerySet[Borrow]:
    """Borrows the user may see: their own, or everyone's for librarians and auditors."""
    borrows = Borrow.objects.select_related("book__author", "user")
    if not can_read_all_circulation(user):
        borrows = borrows.filter(user_id=user.pk)
    return borrows
