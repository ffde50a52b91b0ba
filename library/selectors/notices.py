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
