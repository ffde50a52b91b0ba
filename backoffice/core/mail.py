"""Delivering the mail queue (django-post-office) so that no message is sent twice.

post-office's own sender reads the queue without claiming it, so two workers running at
once would both send each message. Here a worker first claims a batch: in one short
transaction it takes the rows (``SKIP LOCKED``: another worker takes others) and moves
their ``scheduled_time`` forward by a lease, which hides them from every other worker.
It then sends them with post-office's batch sender (which marks each sent, or requeued
with a retry count, or failed after ``MAX_RETRIES``, and writes the log) and spaces the
retries out exponentially. A worker killed mid-batch leaves its claimed mail to come
back when the lease ends: sent at least once, and twice only if the SMTP server had
already accepted a message when the worker died.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, Q, Value, When
from django.utils import timezone
from post_office import mail as post_office_mail
from post_office.models import STATUS, Email

PENDING = (STATUS.queued, STATUS.requeued)


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    requeued: int = 0
    batches: int = 0
    ids: list[int] = field(default_factory=list)


def mail_due(now):
    return Email.objects.filter(
        Q(scheduled_time__isnull=True) | Q(scheduled_time__lte=now),
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        status__in=PENDING,
    )


def mail_claim(*, now, limit: int) -> list[int]:
    """Take up to ``limit`` messages due now for this worker, for the length of a lease."""
    lease_end = now + timedelta(seconds=settings.MAIL_DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            mail_due(now)
            .order_by("-priority", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Email.objects.filter(id__in=ids).update(scheduled_time=lease_end)
    return ids


def mail_deliver(*, max_batches: int = 50) -> Delivery:
    """Send what is due, batch by batch; each batch is claimed first (see the module)."""
    delivery = Delivery()
    batch = settings.POST_OFFICE.get("BATCH_SIZE", 100)
    for _ in range(max_batches):
        ids = mail_claim(now=timezone.now(), limit=batch)
        if not ids:
            break
        emails = list(
            Email.objects.filter(id__in=ids)
            .select_related("template")
            .prefetch_related("attachments")
        )
        # post-office's batch sender (pinned version): sends, marks, requeues, logs.
        sent, failed, requeued = post_office_mail._send_bulk(emails, uses_multiprocessing=False)
        _space_out_retries(ids)
        delivery.sent += sent
        delivery.failed += failed
        delivery.requeued += requeued
        delivery.batches += 1
        delivery.ids += ids
        if len(ids) < batch:
            break
    return delivery


def _space_out_retries(ids: list[int]) -> None:
    """Retry n waits MAIL_RETRY_SECONDS * 2**(n-1): post-office waits the same each time."""
    now = timezone.now()
    base = settings.MAIL_RETRY_SECONDS
    whens = [
        When(number_of_retries=n, then=Value(now + timedelta(seconds=base * 2 ** (n - 1))))
        for n in range(1, settings.MAIL_MAX_RETRIES + 1)
    ]
    if whens:
        Email.objects.filter(id__in=ids, status=STATUS.requeued).update(
            scheduled_time=Case(*whens, default=Value(now), output_field=DateTimeField())
        )


def mail_requeue(ids) -> int:
    """Send these again (the admin's resend): queued now, with a fresh count of retries."""
    return Email.objects.filter(id__in=list(ids)).update(
        status=STATUS.queued, scheduled_time=None, number_of_retries=0
    )


class CompiledTemplate:
    """A post-office template parsed once, rendered for many patrons.

    Subject and text are plain text, so nothing in them is HTML-escaped ("Pride &
    Prejudice", never "&amp;"); the HTML part keeps Django's escaping. post-office would
    escape all three, and a librarian editing a subject should not have to know that.
    """

    def __init__(self, template):
        from django.template import Template

        self.subject = Template(template.subject)
        self.text = Template(template.content)
        self.html = Template(template.html_content) if template.html_content else None

    def render(self, context: dict) -> tuple[str, str, str]:
        from django.template import Context

        plain = Context(context, autoescape=False)
        subject = " ".join(self.subject.render(plain).split())
        text = self.text.render(plain)
        html = self.html.render(Context(context)) if self.html is not None else ""
        return subject, text, html


def mail_render(template, context: dict) -> tuple[str, str, str]:
    """A post-office template's subject, text and HTML for ``context``."""
    return CompiledTemplate(template).render(context)


def mail_build(*, to: str, subject: str, text: str, html: str = "") -> Email:
    """A queued message, not yet saved (``bulk_create`` many, or ``save()`` one).

    Built directly rather than with post-office's ``mail.send``, which would parse the
    finished subject and bodies as templates once more: slower, and a book titled
    "{{ … }}" would be read as template code. The address is checked as post-office
    checks it; a bad one raises ``ValidationError``.
    """
    from post_office.models import PRIORITY
    from post_office.utils import parse_emails

    return Email(
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=parse_emails([to]),
        subject=subject,
        message=text,
        html_message=html,
        status=STATUS.queued,
        priority=PRIORITY.medium,
    )
