"""What the library holds about one patron, as one JSON-ready document (GET /auth/user/export/).

The document is a list of sections, each built by one exporter that reads only rows of
the caller. A feature that keeps personal data adds its exporter to ``EXPORT_SECTIONS``;
until it does, any model of the library app with a ``user`` (or ``patron``) key to the
account is exported generically under ``other_records``, so nothing is left out.
"""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist

from library.models import (
    Borrow,
    Hold,
    Notice,
    PatronBlock,
    PatronPreferences,
    ReadingHistoryChoice,
)

# The account's own fields, in this order; fields a later feature adds to the user model
# (a card number) are exported when they exist.
PROFILE_FIELDS = (
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "card_number",
    "date_joined",
    "last_login",
    "is_active",
)
OWNER_FIELD_NAMES = ("user", "patron")


def _book(book) -> dict:
    return {"id": book.pk, "title": book.title, "author": book.author.name, "isbn": book.isbn}


def export_profile(user) -> dict:
    names = {f.name for f in type(user)._meta.concrete_fields}
    return {name: getattr(user, name) for name in PROFILE_FIELDS if name in names}


def export_reading_history(user) -> dict:
    chosen = ReadingHistoryChoice.objects.filter(user=user).first()
    return {
        "choice": chosen.choice if chosen else "library",
        "forget_after_days": chosen.forget_after_days if chosen else None,
        "library_retention_days": settings.LOAN_HISTORY_RETENTION_DAYS,
    }


def export_loans(user) -> list[dict]:
    loans = Borrow.objects.filter(user=user).select_related("book__author").order_by("pk")
    return [
        {
            "id": loan.pk,
            "book": _book(loan.book),
            "borrow_date": loan.borrow_date,
            "due_date": loan.due_date,
            "return_date": loan.return_date,
            "renewals": loan.renewals,
        }
        for loan in loans
    ]


def export_holds(user) -> list[dict]:
    holds = Hold.objects.filter(user=user).select_related("book__author").order_by("pk")
    return [
        {
            "id": hold.pk,
            "book": _book(hold.book),
            "status": hold.status,
            "placed_at": hold.placed_at,
            "ready_at": hold.ready_at,
            "expires_at": hold.expires_at,
            "closed_at": hold.closed_at,
            "loan": hold.borrow_id,
        }
        for hold in holds
    ]


def history_models() -> list:
    """Every model that keeps history (django-simple-history), in the registry's order."""
    return [
        model
        for model in apps.get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
    ]


def history_of(model):
    return getattr(model, model._meta.simple_history_manager_attribute).model


def owner_field(model):
    """The key that says whose row this is (``user`` or ``patron``), or None."""
    User = get_user_model()
    for name in OWNER_FIELD_NAMES:
        try:
            candidate = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if candidate.is_relation and candidate.related_model is User:
            return candidate
    return None


def _actor(history_user_id, user) -> str:
    # Who acted, without naming anyone else: the patron, the library's staff, or the system.
    if history_user_id is None:
        return "system"
    return "you" if history_user_id == user.pk else "library staff"


_HISTORY_BOOKKEEPING = {"history_id", "history_user", "history_change_reason", "history_type"}
KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def _history_rows(history, rows, user, object_label: str) -> list[dict]:
    values = [
        f
        for f in history._meta.concrete_fields
        if f.name not in _HISTORY_BOOKKEEPING and f.name != "history_date"
    ]
    return [
        {
            "model": object_label,
            "object_id": row.id,
            "date": row.history_date,
            "kind": KINDS.get(row.history_type, row.history_type),
            "by": _actor(row.history_user_id, user),
            "reason": row.history_change_reason or "",
            "values": {f.attname: getattr(row, f.attname) for f in values},
        }
        for row in rows
    ]


def export_history(user) -> list[dict]:
    """The caller's history rows: their account's and those of every record that is theirs
    (loans, holds, and whatever else keeps history with a ``user`` key). One query each."""
    User = get_user_model()
    rows = []
    for model in history_models():
        history = history_of(model)
        label = model._meta.label_lower
        if model is User:
            found = history.objects.filter(id=user.pk)
        elif (owner := owner_field(model)) is not None:
            found = history.objects.filter(**{owner.attname: user.pk})
        else:
            continue
        rows += _history_rows(history, found.order_by("history_date", "history_id"), user, label)
    rows.sort(key=lambda row: row["date"])
    return rows


def export_notices(user) -> dict:
    """The notices sent to the caller (what about, when, how it went) and their choice of
    courtesy notices; not the mail's text, which the library does not keep for them."""
    notices = (
        Notice.objects.filter(user_id=user.pk)
        .select_related("borrow__book", "hold__book")
        .order_by("pk")
    )
    preferences = PatronPreferences.objects.filter(user_id=user.pk).first()
    return {
        "courtesy_notices": preferences.courtesy_notices if preferences else True,
        "sent": [
            {
                "kind": notice.kind,
                "stage": notice.stage,
                "status": notice.status,
                "created_at": notice.created_at,
                "loan": notice.borrow_id,
                "hold": notice.hold_id,
                "title": (notice.borrow or notice.hold).book.title
                if (notice.borrow or notice.hold)
                else None,
            }
            for notice in notices
        ],
    }


def export_blocks(user) -> list[dict]:
    """The caller's blocks, who set them said only as "library staff"."""
    return [
        {
            "reason": block.reason,
            "set_at": block.created_at,
            "set_by": _actor(block.created_by_id, user),
            "lifted_at": block.lifted_at,
            "lift_reason": block.lift_reason,
        }
        for block in PatronBlock.objects.filter(user_id=user.pk).order_by("pk")
    ]


# (section name, exporter, models it covers) in the document's order.
EXPORT_SECTIONS: list[tuple[str, object, tuple]] = [
    ("profile", export_profile, ()),
    ("reading_history", export_reading_history, (ReadingHistoryChoice,)),
    ("loans", export_loans, (Borrow,)),
    ("holds", export_holds, (Hold,)),
    ("notices", export_notices, (Notice, PatronPreferences)),
    ("blocks", export_blocks, (PatronBlock,)),
]


def _covered_models() -> set:
    return {model for _name, _exporter, covered in EXPORT_SECTIONS for model in covered}


def export_other_records(user) -> dict:
    """Rows of any other library model keyed to the caller, field by field (keys as ids)."""
    found = {}
    covered = _covered_models()
    for model in apps.get_app_config("library").get_models():
        if model in covered or hasattr(model, "instance_type"):  # history: export_history
            continue
        owner = owner_field(model)
        if owner is None:
            continue
        fields = model._meta.concrete_fields
        found[model._meta.label_lower] = [
            {f.attname: getattr(row, f.attname) for f in fields}
            for row in model.objects.filter(**{owner.attname: user.pk}).order_by("pk")
        ]
    return found


def patron_export(user) -> dict:
    """Everything the library holds about ``user``; a constant number of queries."""
    document = {name: exporter(user) for name, exporter, _covered in EXPORT_SECTIONS}
    document["history"] = export_history(user)
    document["other_records"] = export_other_records(user)
    return document
