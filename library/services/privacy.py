"""Reader privacy: a patron's reading-history choice, the nightly anonymisation of returned
loans, and erasure ("anonymise and deactivate").

An anonymised loan keeps its book and its dates and moves to one system patron (as Koha's
AnonymousPatron), so every count, duration and most-borrowed figure stays the same; only
who read it is gone. Its history rows lose the patron too (as borrower and as actor);
a member of staff who acted on the loan stays recorded.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone

from accounts.models import username_taken
from accounts.services import tokens_revoke_all
from backoffice.core.errors import DomainError, NotFound
from library.models import (
    ANONYMISED_PATRON_USERNAME,
    Borrow,
    Hold,
    ReadingHistory,
    ReadingHistoryChoice,
)
from library.services.privacy_notices import (
    notices_anonymise,
    patron_notices_and_blocks_erase,
)

from .history import record_actor

BATCH_SIZE = 5000
ERASED_USERNAME_PREFIX = "_erased_"
ERASURE_REASON = "Anonymised and deactivated"


class ErasureRefused(DomainError):
    code = "erasure_refused"


class PatronNotFound(NotFound):
    default_detail = "No such patron."


# --- The anonymised patron -----------------------------------------------------------------


def anonymised_patron():
    """The system account anonymised loans belong to; made the first time it is needed.

    Inactive with an unusable password: it cannot sign in, is no patron (``patrons()``),
    and the borrower rankings leave it out.
    """
    User = get_user_model()
    user = User.objects.filter(username=ANONYMISED_PATRON_USERNAME).first()
    if user is not None:
        return user
    user = User(
        username=ANONYMISED_PATRON_USERNAME,
        first_name="Anonymised",
        last_name="patron",
        is_active=False,
    )
    user.set_unusable_password()
    user._change_reason = "System account for anonymised loans"
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Made at the same moment by another run (the username is unique): use that one.
        return User.objects.get(username=ANONYMISED_PATRON_USERNAME)
    return user


# --- A patron's choice ---------------------------------------------------------------------


def reading_history_choose(
    *, user, choice: str, forget_after_days: int | None = None
) -> ReadingHistoryChoice | None:
    """Record ``user``'s choice; ``"library"`` drops it, so the library's setting holds."""
    if choice == "library":
        ReadingHistoryChoice.objects.filter(user=user).delete()
        return None
    days = forget_after_days if choice == ReadingHistory.FORGET else None
    chosen, _ = ReadingHistoryChoice.objects.update_or_create(
        user=user, defaults={"choice": choice, "forget_after_days": days}
    )
    return chosen


def retention_days_for(user) -> int | None:
    """Days ``user``'s returned loans keep them (None: kept), their choice over the library's."""
    return retention_days_of(ReadingHistoryChoice.objects.filter(user=user).first())


def retention_days_of(chosen: ReadingHistoryChoice | None) -> int | None:
    if chosen is None:
        return settings.LOAN_HISTORY_RETENTION_DAYS
    return chosen.forget_after_days if chosen.choice == ReadingHistory.FORGET else None


# --- Moving loans to the anonymised patron -------------------------------------------------


def _history(model):
    return getattr(model, model._meta.simple_history_manager_attribute).model


def _move_to(queryset_history, anonymous_id: int) -> None:
    # One UPDATE: the right-hand sides read the row as it was, so "the patron acted on their
    # own loan" is judged against the old borrower before it changes.
    queryset_history.update(
        user_id=anonymous_id,
        history_user_id=Case(
            When(history_user_id=F("user_id"), then=Value(anonymous_id)),
            default=F("history_user_id"),
            output_field=models.BigIntegerField(),
        ),
    )


def loans_anonymise(*, loan_ids: list[int], anonymous_id: int) -> int:
    """Move these loans, the holds they fulfilled, and their history rows to the anonymised
    patron, with their notices (whose mail is deleted): a fixed number of statements
    whatever the batch's size. Returns the loans moved."""
    moved = Borrow.objects.filter(pk__in=loan_ids).update(user_id=anonymous_id)
    _move_to(_history(Borrow).objects.filter(id__in=loan_ids), anonymous_id)
    # The hold a loan fulfilled says who waited for that book: it goes with the loan.
    holds = Hold.objects.filter(borrow_id__in=loan_ids)
    _move_to(_history(Hold).objects.filter(id__in=holds.values("pk")), anonymous_id)
    notices_anonymise(loan_ids=loan_ids, hold_ids=holds.values("pk"), anonymous_id=anonymous_id)
    holds.update(user_id=anonymous_id)
    return moved


@dataclass
class AnonymisationResult:
    anonymised: int = 0
    batches: int = 0
    by_retention: dict = field(default_factory=dict)  # days -> loans anonymised


def returned_loans_anonymise(*, now=None, batch_size: int = BATCH_SIZE) -> AnonymisationResult:
    """Anonymise returned loans past their retention: the patron's choice, else
    LOAN_HISTORY_RETENTION_DAYS (unset: kept). Batched, each batch its own transaction.

    Safe to run twice at once: a batch only sets the borrower to the anonymised patron,
    which a second run would set again; returned loans change in no other way.
    """
    now = now or timezone.now()
    anonymous_id = anonymised_patron().pk
    result = AnonymisationResult()
    returned = Borrow.objects.returned().exclude(user_id=anonymous_id)

    forgetting = ReadingHistoryChoice.objects.filter(choice=ReadingHistory.FORGET)
    for days in forgetting.order_by().values_list("forget_after_days", flat=True).distinct():
        users = forgetting.filter(forget_after_days=days).values("user_id")
        loans = returned.filter(user_id__in=users, return_date__lt=now - timedelta(days=days))
        _anonymise_in_batches(loans, anonymous_id, batch_size, result, days)

    days = settings.LOAN_HISTORY_RETENTION_DAYS
    if days:
        chose = ReadingHistoryChoice.objects.filter(user_id=OuterRef("user_id"))
        loans = returned.filter(~Exists(chose), return_date__lt=now - timedelta(days=days))
        _anonymise_in_batches(loans, anonymous_id, batch_size, result, days)
    return result


def _anonymise_in_batches(loans, anonymous_id, batch_size, result, days) -> None:
    # Keyset over the primary key: each batch reads on from where the last stopped, so
    # the whole run is one pass over the loans, not one per batch.
    last_id = 0
    while True:
        ids = list(
            loans.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        with transaction.atomic():
            moved = loans_anonymise(loan_ids=ids, anonymous_id=anonymous_id)
        result.anonymised += moved
        result.batches += 1
        result.by_retention[days] = result.by_retention.get(days, 0) + moved
        last_id = ids[-1]


# --- Erasure -------------------------------------------------------------------------------

# Per-feature erasers beyond the account and its loans: each takes (user, actor) inside the
# erasure's transaction. Features that keep personal data of their own (notices, blocks)
# add theirs here.
ERASERS: list = []


def patron_erase_refusals(user) -> list[str]:
    """Why ``user`` cannot be erased now (nothing: they can). Two queries."""
    if user.username == ANONYMISED_PATRON_USERNAME:
        return ["This is the system account that anonymised loans belong to."]
    if user.is_staff or user.is_superuser:
        return ["Staff accounts are not anonymised here; an administrator removes their roles."]
    if user.username.startswith(ERASED_USERNAME_PREFIX) and not user.is_active:
        return ["This account has already been anonymised."]
    reasons = []
    open_loans = Borrow.objects.open().filter(user_id=user.pk).count()
    if open_loans:
        reasons.append(
            f"{open_loans} loan{'s' if open_loans != 1 else ''} still on loan: return "
            f"{'them' if open_loans != 1 else 'it'} first."
        )
    open_holds = Hold.objects.open().filter(user_id=user.pk).count()
    if open_holds:
        reasons.append(
            f"{open_holds} open hold{'s' if open_holds != 1 else ''}: cancel "
            f"{'them' if open_holds != 1 else 'it'} first."
        )
    return reasons


def _erased_value(model_field, user_pk: int):
    if model_field.null:
        return None
    if model_field.unique:
        return f"{ERASED_USERNAME_PREFIX}{user_pk}"[: model_field.max_length]
    return ""


def _personal_text_fields(User) -> list:
    """The account's text fields (names, e-mail, and a card number once there is one):
    everything the erasure blanks. The password is made unusable instead."""
    return [
        model_field
        for model_field in User._meta.concrete_fields
        if isinstance(model_field, models.CharField | models.TextField)
        and model_field.name not in {"password", User.USERNAME_FIELD}
    ]


def _erased_username(user_pk: int) -> str:
    candidate = f"{ERASED_USERNAME_PREFIX}{user_pk}"
    suffix = 1
    while username_taken(candidate, exclude_pk=user_pk):
        suffix += 1
        candidate = f"{ERASED_USERNAME_PREFIX}{user_pk}_{suffix}"
    return candidate


def patron_erase(*, user_id: int, actor):
    """Anonymise and deactivate a patron: names, e-mail and card removed, every loan and
    hold moved to the anonymised patron, tokens revoked, the account unable to sign in.

    Refused (``ErasureRefused``, with every reason) while they have open loans or holds.
    The account's own history rows are blanked the same way; the new one records ``actor``.
    """
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise PatronNotFound()
        reasons = patron_erase_refusals(user)
        if reasons:
            name = user.get_username()
            raise ErasureRefused(f"{name} cannot be anonymised: " + " ".join(reasons))
        old_username = user.get_username()
        anonymous_id = anonymised_patron().pk

        loan_ids = list(Borrow.objects.filter(user_id=user.pk).values_list("pk", flat=True))
        for start in range(0, len(loan_ids), BATCH_SIZE):
            loans_anonymise(
                loan_ids=loan_ids[start : start + BATCH_SIZE], anonymous_id=anonymous_id
            )
        # Holds no loan fulfilled (cancelled, expired) still say what the patron wanted.
        others = Hold.objects.filter(user_id=user.pk)
        _move_to(_history(Hold).objects.filter(id__in=others.values("pk")), anonymous_id)
        others.update(user_id=anonymous_id)
        ReadingHistoryChoice.objects.filter(user_id=user.pk).delete()
        # Before the blanks: the mail to remove is found by the address it went to.
        patron_notices_and_blocks_erase(user, actor, anonymous_id=anonymous_id)

        blanks = {
            model_field.attname: _erased_value(model_field, user.pk)
            for model_field in _personal_text_fields(User)
        }
        blanks[User.USERNAME_FIELD] = _erased_username(user.pk)
        for attname, value in blanks.items():
            setattr(user, attname, value)
        user.is_active = False
        user.last_login = None
        user.set_unusable_password()
        record_actor(user, actor, ERASURE_REASON)
        user.save()
        # The account's earlier history rows still hold the names; they get the blanks too.
        history = _history(User)
        history_fields = {f.attname for f in history._meta.concrete_fields}
        history.objects.filter(id=user.pk).update(
            **{key: value for key, value in blanks.items() if key in history_fields}
        )
        for eraser in ERASERS:
            eraser(user, actor)
        _forget_username(user, old_username)
        tokens_revoke_all(user=user)
    return user


def _forget_username(user, old_username: str) -> None:
    # The admin's log and the login lockout records name the account by its old username.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(user), object_id=str(user.pk)
    ).update(object_repr=user.get_username())
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=old_username).delete()
