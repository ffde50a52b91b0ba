"""Manual blocks: a librarian stops a patron borrowing, renewing and placing holds.

A block is set with a reason and lifted with one; both say who. The row stays when it is
lifted, so the patron's blocks are their history (simple-history records each change).
The other block, a loan long overdue, is not stored: it is read from the loans.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.core.history import HistoricalRecords


class PatronBlockQuerySet(models.QuerySet):
    def active(self):
        return self.filter(lifted_at__isnull=True)


class PatronBlock(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="blocks",
        verbose_name=_("patron"),
    )
    reason = models.CharField(max_length=500, help_text=_("Shown to the patron when refused."))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("set by"),
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    lift_reason = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()
    objects = PatronBlockQuerySet.as_manager()

    class Meta:
        verbose_name = _("patron block")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One block in force at a time: a second reason is added to the first's story
            # by lifting and setting again, so "why is she blocked" has one answer.
            models.UniqueConstraint(
                fields=["user"], condition=Q(lifted_at__isnull=True), name="block_one_active"
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=F("created_at")),
                name="block_lifted_after_set",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="block_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.reason}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
