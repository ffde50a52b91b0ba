"""WSGI entry point with the borrow/return path trimmed as docs/PERFORMANCE.md proposes.

For measurement only: ``bench/load.py --proposed`` serves this instead of
``backoffice.wsgi`` to put a figure on the proposal. The rules are the same (row lock on
the patron, conditional UPDATE of the copies, one open loan per patron and book, loan
limit, history rows); the SQL is shorter:

- borrow: the loan-limit and already-borrowed checks in one query instead of two; no
  savepoint around the INSERT (an IntegrityError aborts the whole transaction anyway);
  the book is checked by the service's conditional UPDATE, not first by the serializer;
- return: the borrow row is locked, so the second, conditional UPDATE is dropped; the
  return is saved once (UPDATE + history row).

24 statements per cycle become 19.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import IntegrityError, transaction  # noqa: E402
from django.db.models import Count, F, Q  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import serializers, status  # noqa: E402
from rest_framework.response import Response  # noqa: E402

from library import services  # noqa: E402
from library.api import views  # noqa: E402
from library.api.serializers import MAX_ID, BorrowSerializer  # noqa: E402
from library.models import Book, Borrow  # noqa: E402


def _borrow_open(*, user, book_id: int, actor) -> Borrow:
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        held = (
            Borrow.objects.open()
            .filter(user_id=user.pk)
            .aggregate(n=Count("id"), this=Count("id", filter=Q(book_id=book_id)))
        )
        if held["this"]:
            raise services.AlreadyBorrowed()
        if held["n"] >= settings.MAX_OPEN_BORROWS:
            raise services.LoanLimitReached(settings.MAX_OPEN_BORROWS)
        taken = Book.objects.filter(pk=book_id, available_copies__gt=0).update(
            available_copies=F("available_copies") - 1
        )
        if not taken:
            if not Book.objects.filter(pk=book_id).exists():
                raise services.BookNotFound()
            raise services.NoCopiesAvailable()
        now = timezone.now()
        borrow = Borrow(
            user=user,
            book_id=book_id,
            borrow_date=now,
            due_date=now + timedelta(days=settings.LOAN_PERIOD_DAYS),
        )
        services._record_history_user(borrow, actor)
        try:
            borrow.save()
        except IntegrityError:
            raise services.AlreadyBorrowed() from None
    return borrow


def borrow_return(*, borrow_id: int, actor, visible_to_all: bool = False) -> Borrow:
    with transaction.atomic():
        borrows = Borrow.objects.select_for_update().filter(pk=borrow_id)
        if not visible_to_all:
            borrows = borrows.filter(user_id=actor.pk)
        borrow = borrows.first()
        if borrow is None:
            raise services.BorrowNotFound()
        if borrow.return_date is not None:  # the row is locked: no one else can close it
            raise services.AlreadyReturned()
        Book.objects.filter(pk=borrow.book_id).update(available_copies=F("available_copies") + 1)
        borrow.return_date = max(timezone.now(), borrow.borrow_date)
        services._record_history_user(borrow, actor)
        borrow.save(update_fields=["return_date"])
    return borrow


class BorrowCreateById(serializers.Serializer):
    book = serializers.IntegerField(min_value=1, max_value=MAX_ID)


def create(self, request):
    payload = BorrowCreateById(data=request.data)
    payload.is_valid(raise_exception=True)
    borrow = services.borrow_create(user=request.user, book_id=payload.validated_data["book"])
    borrow = self.get_queryset().get(pk=borrow.pk)
    return Response(BorrowSerializer(borrow).data, status=status.HTTP_201_CREATED)


services._borrow_open = _borrow_open
services.borrow_return = borrow_return
views.BorrowViewSet.create = create
