"""Notices: the daily run that e-mails patrons about their loans and holds, and the
hold-ready mail sent as soon as the return that trapped a copy commits.

For each kind and stage, a batch of patrons with items due a notice is row-locked
(``SKIP LOCKED``: a patron another run holds is left to it), then their items, and the
notices are claimed by inserting them: the unique constraint lets each (kind, item,
stage, round) in once, so of two runs the one whose insert lands sends. The claimed items
are read back, grouped by patron into one e-mail each, and queued (django-post-office) in
the same transaction: a run killed half-way leaves nothing half-done, and the next run
sends what it had not committed. The items are chosen under their row locks, so a loan
returned or a hold collected before the run reaches it is never told about; one returned
while the run holds it waits for the run.

Every batch costs the same few queries: lock the patrons, lock their items, claim, read
back the winners, queue the mail, link the notices to it.
"""

import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from post_office.models import Email, EmailTemplate

from backoffice.core.background import nudge_after_commit
from backoffice.core.mail import CompiledTemplate, mail_build
from library.models import Borrow, Hold, Notice, NoticeKind, PatronPreferences

logger = logging.getLogger(__name__)

TEMPLATE_NAMES = {kind: f"notice_{kind}" for kind in NoticeKind.values}


@dataclass
class RunResult:
    emails: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    items: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    no_address: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    batches: int = 0

    def as_dict(self) -> dict:
        return {
            "emails": dict(self.emails),
            "items": dict(self.items),
            "no_address": dict(self.no_address),
            "batches": self.batches,
        }


@dataclass(frozen=True)
class Stage:
    kind: str
    stage: int
    candidates: object  # a queryset of Borrow or Hold


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the library's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def library_today(now: datetime) -> date:
    return timezone.localtime(now).date()


def stages_due(now: datetime) -> list[Stage]:
    """Every (kind, stage) and the items that are due it now, by library calendar days."""
    today = library_today(now)
    stages = []
    courtesy_off = PatronPreferences.objects.filter(
        user_id=OuterRef("user_id"), courtesy_notices=False
    )
    days = settings.NOTICE_DUE_SOON_DAYS
    stages.append(
        Stage(
            NoticeKind.DUE_SOON,
            days,
            Borrow.objects.open()
            .filter(due_date__gt=now, due_date__lt=day_start(today + timedelta(days=days + 1)))
            .exclude(Exists(courtesy_off))
            .exclude(Exists(Notice.objects.of_loan(NoticeKind.DUE_SOON, days))),
        )
    )
    # Overdue by d days: due on the library day d days ago or before, but not yet at the
    # next stage (a loan found at 8 days is told the 7-day notice, never the 1-day one).
    overdue_days = settings.NOTICE_OVERDUE_DAYS
    for stage, following in zip(overdue_days, [*overdue_days[1:], None], strict=True):
        loans = Borrow.objects.open().filter(
            due_date__lt=day_start(today - timedelta(days=stage - 1))
        )
        if following is not None:
            loans = loans.filter(due_date__gte=day_start(today - timedelta(days=following - 1)))
        stages.append(
            Stage(
                NoticeKind.OVERDUE,
                stage,
                loans.exclude(Exists(Notice.objects.of_loan(NoticeKind.OVERDUE, stage))),
            )
        )
    stages.append(Stage(NoticeKind.HOLD_READY, 0, hold_ready_candidates()))
    reminder = settings.NOTICE_PICKUP_REMINDER_DAYS
    stages.append(
        Stage(
            NoticeKind.PICKUP_REMINDER,
            reminder,
            Hold.objects.ready()
            .filter(
                expires_at__gt=now,
                expires_at__lt=day_start(today + timedelta(days=reminder + 1)),
            )
            .exclude(Exists(Notice.objects.of_hold(NoticeKind.PICKUP_REMINDER, reminder))),
        )
    )
    stages.append(
        Stage(
            NoticeKind.HOLD_EXPIRED,
            0,
            Hold.objects.filter(
                status=Hold.Status.EXPIRED,
                closed_at__gte=now - timedelta(days=settings.NOTICE_EXPIRED_WITHIN_DAYS),
            ).exclude(Exists(Notice.objects.of_hold(NoticeKind.HOLD_EXPIRED))),
        )
    )
    return stages


def hold_ready_candidates():
    return Hold.objects.ready().exclude(Exists(Notice.objects.of_hold(NoticeKind.HOLD_READY)))


def notices_run(*, now: datetime | None = None, batch: int | None = None) -> RunResult:
    """The daily run: every kind and stage, in batches. Safe to run twice at once."""
    now = now or timezone.now()
    result = RunResult()
    templates = _templates()
    for stage in stages_due(now):
        _send_stage(
            stage,
            now=now,
            batch=batch or settings.NOTICE_BATCH_SIZE,
            templates=templates,
            result=result,
        )
    if any(result.emails.values()):
        logger.info("Notices queued: %s", result.as_dict())
    return result


def notices_hold_ready(*, hold_ids: list[int] | None = None, now=None) -> RunResult:
    """Hold-ready mail for these ready holds (all ready holds not yet told, if None)."""
    now = now or timezone.now()
    candidates = hold_ready_candidates()
    if hold_ids is not None:
        candidates = candidates.filter(pk__in=hold_ids)
    result = RunResult()
    _send_stage(
        Stage(NoticeKind.HOLD_READY, 0, candidates),
        now=now,
        batch=settings.NOTICE_BATCH_SIZE,
        templates=_templates(),
        result=result,
    )
    return result


def hold_ready_after_commit(hold_id: int) -> None:
    """Once the transaction that made the hold ready commits, queue its patron's mail.

    In-process and best effort: should it fail, the mail-delivery job (every minute) and
    the daily run pick up every ready hold not yet told.
    """

    def send():
        try:
            notices_hold_ready(hold_ids=[hold_id])
        except Exception:
            # Never into the request that returned the book: it has committed already.
            logger.warning(
                "Hold-ready notice for hold %s left to the next run", hold_id, exc_info=True
            )

    transaction.on_commit(send)


def _templates() -> dict[str, CompiledTemplate]:
    """The notice templates, read once per run. A missing one is a deployment error (the
    data migration ships them; the admin cannot delete them), so it fails the run loudly."""
    found = {
        t.name: t
        for t in EmailTemplate.objects.filter(name__in=TEMPLATE_NAMES.values(), language="")
    }
    return {kind: CompiledTemplate(found[name]) for kind, name in TEMPLATE_NAMES.items()}


def _send_stage(stage: Stage, *, now, batch: int, templates, result: RunResult) -> None:
    """Batches of up to ``batch`` patrons: all of a patron's items of this stage in one mail.

    The patrons' rows are locked first (``SKIP LOCKED``: a patron another run is telling,
    or who is borrowing right now, is left for later), then their items. Lock order is the
    ledger's (patron, loan, hold). An item whose return or pickup is in flight is waited
    for, then read again: returned or collected, it drops out of the batch.
    """
    is_loan = stage.kind in (NoticeKind.DUE_SOON, NoticeKind.OVERDUE)
    while True:
        try:
            patrons = _send_batch(
                stage, is_loan=is_loan, now=now, batch=batch, templates=templates, result=result
            )
        except _ClaimLost:
            continue
        if patrons is None:
            return
        result.batches += 1
        if patrons < batch:
            return


def _send_batch(stage: Stage, *, is_loan, now, batch, templates, result) -> int | None:
    """One batch in one transaction; how many patrons it had (None: nothing left)."""
    with transaction.atomic():
        patrons = list(
            get_user_model()
            .objects.filter(pk__in=stage.candidates.values("user_id"))
            .order_by("pk")
            # NO KEY UPDATE: it excludes other runs and a patron's borrow (FOR UPDATE),
            # but not the key-share lock a history row or a loan referring to the patron
            # takes, which a return in flight holds while we wait for its loan.
            .select_for_update(skip_locked=True, no_key=True)
            .values_list("pk", flat=True)[:batch]
        )
        if not patrons:
            return None
        items = list(
            stage.candidates.filter(user_id__in=patrons)
            .select_related("user", "book__author")
            .select_for_update(of=("self",))
            .order_by("user_id", "id")
        )
        queued = _claim_and_queue(
            stage, items, is_loan=is_loan, now=now, templates=templates, result=result
        )
        if queued:
            nudge_after_commit("library.tasks.deliver_mail")
    return len(patrons)


class _ClaimLost(Exception):
    """Another run had told one of this batch's items: the batch is rolled back, read again."""


def _claim_and_queue(stage: Stage, items, *, is_loan: bool, now, templates, result) -> int:
    """Queue one mail per patron for ``items`` and insert their notices, or none at all.

    The notices are inserted with their mail, and the constraint lets each in once. Under
    the patrons' locks no other run is telling these patrons, so every insert lands; should
    one not (a run that committed between our two reads), ``_ClaimLost`` rolls the batch
    back and the caller reads it again, without the items already told.
    """
    by_patron: dict[int, list] = defaultdict(list)
    for item in items:
        by_patron[item.user_id].append(item)
    template = templates[stage.kind]
    tally = RunResult()
    mails, notices = [], []
    item_field = "borrow_id" if is_loan else "hold_id"
    run = uuid.uuid4()
    for patron_items in by_patron.values():
        user = patron_items[0].user
        email = None
        if user.email:
            subject, text, html = template.render(
                notice_context(user, patron_items, stage.kind, now=now)
            )
            # An address that is not one (typed by hand, imported) is as good as none.
            with contextlib.suppress(ValidationError):
                email = mail_build(to=user.email, subject=subject, text=text, html=html)
        if email is None:
            tally.no_address[stage.kind] += 1
        else:
            mails.append(email)
            tally.emails[stage.kind] += 1
        tally.items[stage.kind] += len(patron_items)
        notices += [
            (
                email,
                Notice(
                    kind=stage.kind,
                    stage=stage.stage,
                    round=item.renewals if is_loan else 0,
                    user_id=item.user_id,
                    status=Notice.Status.NO_ADDRESS if email is None else Notice.Status.QUEUED,
                    run=run,
                    created_at=now,
                    **{item_field: item.pk},
                ),
            )
            for item in patron_items
        ]
    Email.objects.bulk_create(mails)
    for email, notice in notices:
        notice.email_id = None if email is None else email.pk
    Notice.objects.bulk_create([notice for _, notice in notices], ignore_conflicts=True)
    if Notice.objects.filter(run=run).count() != len(notices):
        raise _ClaimLost
    for name in ("emails", "items", "no_address"):
        for kind, count in getattr(tally, name).items():
            getattr(result, name)[kind] += count
    return len(mails)


def notice_context(user, items, kind, *, now) -> dict:
    """What a notice template sees: the patron's name and their items of this kind."""
    today = library_today(now)
    rows = []
    for item in items:
        row = {"title": item.book.title, "author": item.book.author.name}
        if isinstance(item, Borrow):
            row["due_date"] = item.due_date
            row["days_overdue"] = max((today - timezone.localtime(item.due_date).date()).days, 0)
        else:
            row["expires_at"] = item.expires_at
            row["ready_at"] = item.ready_at
        rows.append(row)
    return {
        "name": user.get_full_name() or user.get_username(),
        "username": user.get_username(),
        "items": rows,
        "kind": kind,
        "block_after_days": settings.BLOCK_AFTER_OVERDUE_DAYS,
    }


def preferences_update(*, user, courtesy_notices: bool) -> PatronPreferences:
    """A patron's choice about courtesy notices (overdue and hold notices always go)."""
    prefs, _ = PatronPreferences.objects.update_or_create(
        user=user, defaults={"courtesy_notices": courtesy_notices}
    )
    return prefs


def notice_resend(*, notice_ids) -> int:
    """Queue again the e-mails of these notices (those whose delivery failed, usually)."""
    from backoffice.core.mail import mail_requeue

    email_ids = set(
        Notice.objects.filter(pk__in=list(notice_ids), email__isnull=False).values_list(
            "email_id", flat=True
        )
    )
    count = mail_requeue(email_ids)
    if count:
        nudge_after_commit("library.tasks.deliver_mail")
    return count
