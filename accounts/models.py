from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower

from backoffice.core.history import HistoricalRecords

from .cards import card_number_is_generated, card_number_new, validate_card_number

USERNAME_TAKEN = "A user with that username already exists (usernames ignore case)."
CARD_TAKEN = "Another account already has this card number."


class UserQuerySet(models.QuerySet):
    def patrons(self) -> "UserQuerySet":
        """Patrons: active accounts that are not staff (see ``accounts.roles.is_patron``).

        The one definition of the word: the API, the admin's role filter, the dashboard,
        the reports and the demo data all count patrons through it.
        """
        return self.filter(is_active=True, is_staff=False)

    def active_patrons(self, *, since, until=None) -> "UserQuerySet":
        """Active patrons: patrons with at least one loan begun in ``[since, until]``.

        The loans are reached through the reverse relation, so accounts needs no import of
        the library app; EXISTS on borrow_user_date_idx, one probe per patron.
        """
        loans = self.model._meta.get_field("borrows").related_model.objects.filter(
            user_id=models.OuterRef("pk"), borrow_date__gte=since
        )
        if until is not None:
            loans = loans.filter(borrow_date__lte=until)
        return self.patrons().filter(models.Exists(loans))

    def with_username(self, username: str) -> "UserQuerySet":
        """Users whose username is ``username`` in any case.

        Compared with the database's LOWER() on both sides, the expression the unique
        constraint indexes, so a lookup and the constraint agree on every backend
        (SQLite folds ASCII letters only, PostgreSQL all of them).
        """
        return self.alias(username_lower=Lower("username")).filter(
            username_lower=Lower(models.Value(username))
        )


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    # Login (ModelBackend), createsuperuser and fixtures find a user through this, so
    # "Alice" signs in as alice and nobody can be created beside an existing name.
    def get_by_natural_key(self, username):
        return self.with_username(username).get()

    async def aget_by_natural_key(self, username):
        return await self.with_username(username).aget()


def username_taken(username: str, *, exclude_pk=None) -> bool:
    """Whether another account already has ``username`` in some case."""
    others = User.objects.with_username(username)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


class User(AbstractUser):
    """A patron or a member of staff; roles come from ``is_staff`` and group membership."""

    # Password hashes and login timestamps are not part of the audit trail.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    # Unique, so the desk finds a card's holder through the index; blank in a form means
    # "give me a new one" (accounts.forms).
    card_number = models.CharField(
        "card number",
        max_length=32,
        unique=True,
        default=card_number_new,
        validators=[validate_card_number],
        error_messages={"unique": CARD_TAKEN},
        help_text="The barcode on the patron's library card. Leave blank for a new number.",
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=USERNAME_TAKEN,
            )
        ]

    def _card_number_redraw_if_taken(self) -> None:
        # Only a drawn card is drawn again; a number someone typed that is taken is left
        # for the unique index (forms and the CSV import report it first, as a field error).
        for _ in range(5):
            if not card_number_is_generated(self.card_number):
                return
            if not User.objects.filter(card_number=self.card_number).exists():
                return
            self.card_number = card_number_new()

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_unset = True

    def save(self, *args, **kwargs):
        # Django sets _password on set_password() (and clears it on a hash upgrade at
        # login, which is not a new password); we flag set_unusable_password() ourselves.
        new_password = self._password is not None or getattr(self, "_password_unset", False)
        revoke_tokens = new_password and not self._state.adding
        update_fields = kwargs.get("update_fields")
        # A login saves last_login (Django's update_last_login) and may upgrade the hash;
        # neither is a change someone made, so neither is history. Real edits still are.
        bookkeeping = update_fields is not None and (
            set(update_fields) <= {"last_login"}
            or (set(update_fields) <= {"last_login", "password"} and not new_password)
        )
        if bookkeeping:
            self.skip_history_when_saving = True
        if self._state.adding:
            self._card_number_redraw_if_taken()
        try:
            super().save(*args, **kwargs)
        finally:
            if bookkeeping:
                del self.skip_history_when_saving
        self._password_unset = False
        if revoke_tokens:
            # Here rather than in each form or view: every way of changing a password
            # (admin form, password reset, set_password() in code) passes through save,
            # and a token issued under the old password must not outlive it.
            from .services import tokens_revoke_all

            tokens_revoke_all(user=self)
