"""Title-level holds: a patron's place in the queue for a book whose copies are all out."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.core.history import HistoricalRecords

from .catalogue import Book
from .circulation import Borrow


class HoldStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    READY = "ready", _("Ready for pickup")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


OPEN_STATUSES = (HoldStatus.WAITING, HoldStatus.READY)
CLOSED_STATUSES = (HoldStatus.FULFILLED, HoldStatus.CANCELLED, HoldStatus.EXPIRED)


class HoldQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def waiting(self):
        return self.filter(status=HoldStatus.WAITING)

    def ready(self):
        return self.filter(status=HoldStatus.READY)

    def queue(self, book_id: int):
        """A title's waiting holds in queue order: the first is served first."""
        return self.waiting().filter(book_id=book_id).order_by("placed_at", "id")

    def past_pickup_deadline(self, now=None):
        return self.ready().filter(expires_at__lt=now or timezone.now())


class Hold(models.Model):
    Status = HoldStatus

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="holds", db_index=False
    )
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="holds", db_index=False)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.WAITING)
    placed_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Pickup deadline while the hold is ready.")
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    borrow = models.OneToOneField(
        Borrow,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fulfilled_hold",
        help_text=_("The loan that fulfilled this hold."),
    )

    history = HistoricalRecords()
    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["placed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "book"],
                condition=Q(status__in=OPEN_STATUSES),
                name="hold_one_open_per_user_and_book",
            ),
            models.CheckConstraint(
                condition=Q(status__in=HoldStatus.values), name="hold_status_known"
            ),
            # A ready hold has its pickup deadline; an open hold is not closed.
            models.CheckConstraint(
                condition=~Q(status=HoldStatus.READY)
                | Q(ready_at__isnull=False, expires_at__isnull=False),
                name="hold_ready_has_deadline",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, closed_at__isnull=True)
                | Q(status__in=CLOSED_STATUSES, closed_at__isnull=False),
                name="hold_closed_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status=HoldStatus.FULFILLED) | Q(borrow__isnull=False),
                name="hold_fulfilled_by_a_borrow",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("placed_at")),
                name="hold_closed_after_placed",
            ),
        ]
        indexes = [
            # The queue of a title, in the order it is served; also answers positions.
            models.Index(
                fields=["book", "placed_at", "id"],
                condition=Q(status=HoldStatus.WAITING),
                name="hold_queue_idx",
            ),
            models.Index(fields=["user", "-placed_at"], name="hold_user_placed_idx"),
            # The holds list (API and admin), newest first: a page is read from the index
            # instead of every hold ever placed being joined and sorted.
            models.Index(fields=["-placed_at", "-id"], name="hold_placed_idx"),
            # The expiry job reads only ready holds, by deadline.
            models.Index(
                fields=["expires_at"],
                condition=Q(status=HoldStatus.READY),
                name="hold_ready_deadline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.book} ⟵ {self.user}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
