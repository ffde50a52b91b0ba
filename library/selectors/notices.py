"""The notices a patron was sent (the patron's admin page, the desk panel)."""

from dataclasses import dataclass
from datetime import datetime

from post_office.models import STATUS

from library.models import Notice

EMAIL_STATUS = {
    STATUS.sent: "sent",
    STATUS.failed: "failed",
    STATUS.queued: "queued",
    STATUS.requeued: "retrying",
}


@dataclass(frozen=True)
class NoticeLine:
    id: int
    kind: str
    kind_label: str
    stage: int
    title: str
    created_at: datetime
    delivery: str  # sent, queued, retrying, failed, no_address


def notice_delivery(notice: Notice) -> str:
    if notice.status == Notice.Status.NO_ADDRESS:
        return "no_address"
    if notice.email_id is None:
        return "queued"
    return EMAIL_STATUS.get(notice.email.status, "queued")


def notices_of(user, limit: int = 20) -> list[NoticeLine]:
    """The patron's latest notices, newest first, with what became of each. One query."""
    notices = (
        Notice.objects.filter(user_id=user.pk)
        .select_related("email", "borrow__book", "hold__book")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        NoticeLine(
            id=n.pk,
            kind=n.kind,
            kind_label=n.get_kind_display(),
            stage=n.stage,
            title=(n.borrow or n.hold).book.title,
            created_at=n.created_at,
            delivery=notice_delivery(n),
        )
        for n in notices
    ]


def notice_preview_context(template_name: str, user, *, now=None) -> dict:
    """What the template would be given for ``user`` now: their own loans or holds of the
    template's kind when they have some, else their open loans or holds, so a librarian
    sees the mail as this patron would (the preview sends nothing)."""
    from django.utils import timezone

    from library.models import Borrow, Hold
    from library.services.notices import TEMPLATE_NAMES, notice_context

    now = now or timezone.now()
    if template_name == "password_reset":
        return {
            "name": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
            "uid": "MTIz",
            "token": "(a one-use code)",
            "link": "",
            "valid_days": 3,
        }
    kind = next((k for k, name in TEMPLATE_NAMES.items() if name == template_name), None)
    if kind in ("due_soon", "overdue"):
        loans = Borrow.objects.open().filter(user_id=user.pk).select_related("book__author")
        chosen = list(loans.overdue(now) if kind == "overdue" else loans.not_overdue(now))
        items = chosen or list(loans[:5])
    else:
        holds = Hold.objects.filter(user_id=user.pk).select_related("book__author")
        chosen = list(holds.filter(status="expired" if kind == "hold_expired" else "ready")[:5])
        items = chosen or list(holds.open()[:5])
    return notice_context(user, items, kind, now=now)
