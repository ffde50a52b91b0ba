"""The audit trail: every history row of every model that keeps history, newest first.

The models come from the registry (each model django-simple-history tracks), so a feature
that adds history (notice templates, blocks) appears here with nothing to change. A page
costs at most two queries per model whatever the size of the history: each model's newest
rows after the cursor through its ``history_date`` index, with the id of each row's
previous version as a subquery; then those previous versions, for the field changes.
Pages follow a cursor (date, model, history id) instead of an offset and nothing counts
every row. A "changed" row in which no field changed (a login saved on the account before
logins stopped being history) is noise and is left out.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from .privacy import history_models, history_of

PAGE_SIZE = 50
KINDS = {"+": "created", "~": "changed", "-": "deleted"}
ACTORS = ("system", "staff", "patron")
# A text that names a record, on the models that have one.
LABEL_FIELDS = ("title", "name", "username", "subject")


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # "system", "staff", "patron", or a username (any case)
    model: str = ""  # a label such as "library.book"
    kind: str = ""  # "+", "~" or "-"
    since: date | None = None
    until: date | None = None
    search: str = ""  # "12" or "#12": that object's id; other text: its title, name...


@dataclass(frozen=True)
class AuditCursor:
    """Where a page ended: the entries after it are older (or, at the same moment, of a
    later model, or of a smaller history id)."""

    at: datetime
    model: str
    history_id: int

    def encode(self) -> str:
        return f"{self.at.isoformat()}~{self.model}~{self.history_id}"

    @classmethod
    def decode(cls, text: str) -> "AuditCursor | None":
        try:
            at, model, history_id = text.split("~")
            moment = datetime.fromisoformat(at)
            number = int(history_id)
        except (ValueError, AttributeError):
            return None
        if timezone.is_naive(moment) or number < 1 or not history_id.isascii():
            return None
        try:
            # A moment at the calendar's edge in a far offset has no UTC equivalent.
            moment = moment.astimezone(UTC)
        except OverflowError:
            return None
        return cls(at=moment, model=model, history_id=number)


@dataclass
class AuditChange:
    field: str
    old: str
    new: str


@dataclass
class AuditEntry:
    model: str  # "library.book"
    model_name: str  # "book"
    app_label: str
    verbose_name: str
    object_id: int
    label: str
    at: datetime
    history_id: int
    kind: str  # "created", "changed", "deleted"
    actor: object  # the user, or None for the system
    actor_role: str  # "system", "staff", "patron"
    reason: str
    changes: list[AuditChange] = field(default_factory=list)

    @property
    def cursor(self) -> AuditCursor:
        return AuditCursor(at=self.at, model=self.model, history_id=self.history_id)


def audit_models() -> dict[str, type]:
    """Models that keep history, by label, in the order the filter lists them."""
    models = {model._meta.label_lower: model for model in history_models()}
    return dict(sorted(models.items(), key=lambda item: str(item[1]._meta.verbose_name_plural)))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _label_field(history) -> str | None:
    names = {f.name for f in history._meta.concrete_fields}
    return next((name for name in LABEL_FIELDS if name in names), None)


def _filtered(history, filters: AuditFilters):
    rows = history.objects.all()
    actor = filters.actor.strip()
    if actor == "system":
        rows = rows.filter(history_user__isnull=True)
    elif actor == "staff":
        rows = rows.filter(history_user__is_staff=True)
    elif actor == "patron":
        rows = rows.filter(history_user__is_staff=False)
    elif actor:
        rows = rows.filter(history_user__username__iexact=actor)
    if filters.kind:
        rows = rows.filter(history_type=filters.kind)
    if filters.since:
        rows = rows.filter(history_date__gte=_day_start(filters.since))
    if filters.until:
        rows = rows.filter(history_date__lt=_day_start(filters.until + timedelta(days=1)))
    search = filters.search.strip()
    if search:
        number = search.removeprefix("#")
        if number.isascii() and number.isdigit() and 0 < int(number) < 2**63:
            rows = rows.filter(id=int(number))
        else:
            label = _label_field(history)
            if label is None:
                return None  # nothing of this model can match a text
            rows = rows.filter(**{f"{label}__icontains": search})
    return rows


def _after(cursor: AuditCursor | None, label: str) -> Q:
    # The page order is (date descending, model label ascending, history id descending).
    if cursor is None:
        return Q()
    older = Q(history_date__lt=cursor.at)
    if label < cursor.model:
        return older
    if label == cursor.model:
        return older | Q(history_date=cursor.at, history_id__lt=cursor.history_id)
    return older | Q(history_date=cursor.at)


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _changes(row, previous, tracked) -> list[AuditChange]:
    if row.history_type == "-":
        return []
    changes = []
    for model_field in tracked:
        new = getattr(row, model_field.attname)
        old = getattr(previous, model_field.attname) if previous is not None else None
        if (previous is None and new in (None, "")) or (previous is not None and old == new):
            continue
        changes.append(AuditChange(str(model_field.verbose_name), _text(old), _text(new)))
    return changes


def _role(user) -> str:
    if user is None:
        return "system"
    return "staff" if user.is_staff or user.is_superuser else "patron"


def audit_page(
    *, filters: AuditFilters, cursor: AuditCursor | None = None, limit: int = PAGE_SIZE
) -> tuple[list[AuditEntry], AuditCursor | None]:
    """A page of the audit trail after ``cursor``, and the cursor of the next page (None:
    this was the last)."""
    models = audit_models()
    if filters.model:
        models = {filters.model: models[filters.model]} if filters.model in models else {}
    fetched = []  # (label, row)
    for label, model in models.items():
        history = history_of(model)
        rows = _filtered(history, filters)
        if rows is None:
            continue
        previous = history.objects.filter(
            id=OuterRef("id"), history_id__lt=OuterRef("history_id")
        ).order_by("-history_id")
        rows = (
            rows.filter(_after(cursor, label))
            .select_related("history_user")
            .annotate(previous_id=Subquery(previous.values("history_id")[:1]))
            .order_by("-history_date", "-history_id")[: limit + 1]
        )
        fetched += [(label, row) for row in rows]
    # Stable sorts, least significant key first: history id, then model, then date.
    fetched.sort(key=lambda item: item[1].history_id, reverse=True)
    fetched.sort(key=lambda item: item[0])
    fetched.sort(key=lambda item: item[1].history_date, reverse=True)
    more = len(fetched) > limit
    page = fetched[:limit]

    previous_rows = {}
    by_model: dict[str, list] = {}
    for label, row in page:
        if row.previous_id is not None:
            by_model.setdefault(label, []).append(row.previous_id)
    for label, ids in by_model.items():
        history = history_of(models[label])
        for row in history.objects.filter(history_id__in=ids):
            previous_rows[(label, row.history_id)] = row

    entries = []
    for label, row in page:
        model = models[label]
        tracked = [f for f in type(row)._meta.concrete_fields if _is_tracked(f)]
        changes = _changes(row, previous_rows.get((label, row.previous_id)), tracked)
        if row.history_type == "~" and not changes:
            continue
        label_field = _label_field(type(row))
        text = getattr(row, label_field) if label_field else ""
        entries.append(
            AuditEntry(
                model=label,
                model_name=model._meta.model_name,
                app_label=model._meta.app_label,
                verbose_name=str(model._meta.verbose_name),
                object_id=row.id,
                label=text or f"#{row.id}",
                at=row.history_date,
                history_id=row.history_id,
                kind=KINDS.get(row.history_type, row.history_type),
                actor=row.history_user,
                actor_role=_role(row.history_user),
                reason=row.history_change_reason or "",
                changes=changes,
            )
        )
    next_cursor = None
    if more and page:
        label, row = page[-1]
        next_cursor = AuditCursor(at=row.history_date, model=label, history_id=row.history_id)
    return entries, next_cursor


def _is_tracked(model_field) -> bool:
    return not model_field.name.startswith("history_") and model_field.name not in {"id"}
