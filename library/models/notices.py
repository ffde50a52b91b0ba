"""Notices: the e-mails the library sends patrons about their loans and holds, and the
patrons' choices about them.

A ``Notice`` is one item (a loan or a hold) told about at one stage of one kind: the
database lets each (kind, loan or hold, stage, round) exist once, so however often or
however concurrently the run goes, nothing is told twice. One e-mail lists a patron's
items of one kind; its notices share the ``email`` (django-post-office's queued message,
whose status and log say whether it went out).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .circulation import Borrow
from .holds import Hold


class NoticeKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon (courtesy)")
    OVERDUE = "overdue", _("Overdue")
    HOLD_READY = "hold_ready", _("Hold ready for pickup")
    PICKUP_REMINDER = "pickup_reminder", _("Pickup deadline tomorrow")
    HOLD_EXPIRED = "hold_expired", _("Hold expired")


LOAN_KINDS = (NoticeKind.DUE_SOON, NoticeKind.OVERDUE)
HOLD_KINDS = (NoticeKind.HOLD_READY, NoticeKind.PICKUP_REMINDER, NoticeKind.HOLD_EXPIRED)


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("E-mail queued")
    NO_ADDRESS = "no_address", _("No address: phone the patron")


class NoticeQuerySet(models.QuerySet):
    def of_loan(self, kind, stage: int):
        """Notices of ``kind`` at ``stage`` for the outer query's loan in its current round."""
        return self.filter(
            kind=kind,
            borrow_id=models.OuterRef("pk"),
            stage=stage,
            round=models.OuterRef("renewals"),
        )

    def of_hold(self, kind, stage: int = 0):
        return self.filter(kind=kind, hold_id=models.OuterRef("pk"), stage=stage)


class Notice(models.Model):
    Kind = NoticeKind
    Status = NoticeStatus

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    # Days before the due date (courtesy) or after it (overdue); 0 for hold notices.
    stage = models.PositiveSmallIntegerField(default=0)
    # A loan's renewals when told: a renewed loan's new due date starts its stages afresh.
    round = models.PositiveSmallIntegerField(default=0)
    # No database foreign key to the patron: a notice is written while the run holds the
    # loan's or hold's row lock, and a key check would wait for the patron's row, which a
    # borrow locks before the hold (patron, loan, book, hold): a deadlock. The loan or the
    # hold, whose keys are checked, already belongs to this patron.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="notices",
        verbose_name=_("patron"),
    )
    borrow = models.ForeignKey(
        Borrow,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        db_index=False,
        verbose_name=_("loan"),
    )
    hold = models.ForeignKey(
        Hold,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        db_index=False,
    )
    status = models.CharField(max_length=12, choices=NoticeStatus.choices)
    email = models.ForeignKey(
        "post_office.Email",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("e-mail"),
    )
    # Which run wrote it: a run reads back the rows it inserted (the others lost a race).
    run = models.UUIDField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "borrow", "stage", "round"],
                condition=Q(borrow__isnull=False),
                name="notice_once_per_loan_stage",
            ),
            models.UniqueConstraint(
                fields=["kind", "hold", "stage"],
                condition=Q(hold__isnull=False),
                name="notice_once_per_hold_stage",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LOAN_KINDS, borrow__isnull=False, hold__isnull=True)
                | Q(kind__in=HOLD_KINDS, hold__isnull=False, borrow__isnull=True),
                name="notice_of_a_loan_or_a_hold",
            ),
            models.CheckConstraint(
                condition=Q(status__in=NoticeStatus.values), name="notice_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notice_user_created_idx"),
            models.Index(fields=["run"], name="notice_run_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user}"


class PatronPreferences(models.Model):
    """What a patron chose about notices; a patron without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preferences",
        primary_key=True,
    )
    courtesy_notices = models.BooleanField(
        default=True,
        help_text=_("E-mail before a loan is due. Overdue and hold notices are always sent."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patron preferences")
        verbose_name_plural = _("patron preferences")

    def __str__(self) -> str:
        return f"Preferences of {self.user}"
