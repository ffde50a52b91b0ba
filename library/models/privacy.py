"""Reader privacy: each patron's choice about how long returned loans keep their name."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The one account that owns anonymised loans (as Koha's AnonymousPatron): inactive, no
# usable password, never a patron, left out of every ranking of borrowers. The leading
# underscore keeps it apart from the names librarians give patrons.
ANONYMISED_PATRON_USERNAME = "_anonymised"

# A patron may ask for anything from a day to a century.
MAX_RETENTION_DAYS = 36_500


class ReadingHistory(models.TextChoices):
    KEEP = "keep", _("Keep my reading history")
    FORGET = "forget", _("Forget returned loans after N days")


class ReadingHistoryChoice(models.Model):
    """A patron's own choice; without a row the library's LOAN_HISTORY_RETENTION_DAYS holds."""

    Choice = ReadingHistory

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reading_history_choice",
    )
    choice = models.CharField(max_length=10, choices=ReadingHistory.choices)
    forget_after_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Days after its return that a loan keeps the patron (when forgetting)."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reading history choice")
        constraints = [
            models.CheckConstraint(
                condition=Q(choice=ReadingHistory.KEEP, forget_after_days__isnull=True)
                | Q(
                    choice=ReadingHistory.FORGET,
                    forget_after_days__gte=1,
                    forget_after_days__lte=MAX_RETENTION_DAYS,
                ),
                name="reading_history_days_only_when_forgetting",
            ),
        ]
        indexes = [
            # The nightly job reads the patrons who forget, grouped by their number of days.
            models.Index(
                fields=["forget_after_days"],
                condition=Q(choice=ReadingHistory.FORGET),
                name="reading_history_forget_idx",
            ),
        ]

    def __str__(self) -> str:
        if self.choice == ReadingHistory.FORGET:
            return f"Forget returned loans after {self.forget_after_days} days"
        return str(ReadingHistory.KEEP.label)
