"""The admin home page: the library's key figures and charts.

Everything comes from ``library.selectors``, a fixed number of aggregate queries whatever
the size of the catalogue or the borrow history. The charts are drawn by the Chart.js
that unfold bundles (no CDN).
"""

import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from accounts.roles import can_read_all_circulation, is_librarian
from library import selectors
from library.selectors import Period

DEFAULT_DAYS = 30
MAX_DAYS = 365
PERIOD_CHOICES = (7, 30, 90, 365)
TOP_LIMIT = 5


@dataclass(frozen=True)
class Figure:
    title: str
    value: str
    footer: str = ""
    link: str = ""
    icon: str = ""


def period_days(request) -> int:
    """``?days=`` bounded to 1..365; anything unreadable falls back to 30."""
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return min(max(days, 1), MAX_DAYS)


def _chart_options(*, rotate_labels: bool) -> str:
    """unfold's bar chart look, with whole-number ticks (counts are never 0.5).

    Passing options replaces unfold's defaults wholesale, so their look is restated here.
    """
    axis_border = {"dash": [5, 5], "width": 0}
    ticks = {"color": "#9ca3af", "display": True}
    return json.dumps(
        {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "barPercentage": 0.9,
            "maxBarThickness": 14,
            "datasets": {"bar": {"borderRadius": 6, "borderSkipped": "start"}},
            "plugins": {"legend": {"display": False}, "tooltip": {"enabled": True}},
            "scales": {
                "x": {
                    "border": axis_border,
                    "grid": {"display": False, "tickWidth": 0},
                    "ticks": {
                        **ticks,
                        "autoSkip": True,
                        "maxTicksLimit": 10,
                        **({} if rotate_labels else {"maxRotation": 0}),
                    },
                },
                "y": {
                    "beginAtZero": True,
                    "border": axis_border,
                    "grid": {"tickWidth": 0},
                    "ticks": {**ticks, "precision": 0, "maxTicksLimit": 6},
                },
            },
        }
    )


def _chart(labels: list[str], label: str, values: list[int], **dataset) -> str:
    data = {
        "labels": labels,
        "datasets": [
            {
                "label": label,
                "data": values,
                "backgroundColor": "var(--color-primary-600)",
                "borderColor": "var(--color-primary-600)",
                **dataset,
            }
        ],
    }
    return json.dumps(data)


def _per_day_chart(period: Period, days: int) -> str:
    counts = {row["day"]: row["count"] for row in selectors.borrows_per_day(period=period)}
    first = timezone.localtime(period.start).date()
    dates = [first + timedelta(days=offset) for offset in range(days)]
    return _chart(
        [date_format(day, "j M") for day in dates],
        _("Loans"),
        [counts.get(day, 0) for day in dates],
    )


def _ranking(rows, count_of, label_of, detail_of, link_of) -> list[dict]:
    top = max((count_of(row) for row in rows), default=0)
    return [
        {
            "title": label_of(row),
            "detail": detail_of(row),
            "count": count_of(row),
            "percent": round(100 * count_of(row) / top) if top else 0,
            "link": link_of(row),
        }
        for row in rows
    ]


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"


def _figures(figures: selectors.DashboardFigures) -> list[Figure]:
    borrows = reverse("admin:library_borrow_changelist")
    month = date_format(timezone.localdate(), "M")
    return [
        Figure(
            _("Titles"),
            f"{figures.titles:,}",
            footer=_("in the catalogue"),
            link=reverse("admin:library_book_changelist"),
        ),
        Figure(
            _("Copies"),
            f"{figures.copies:,}",
            footer=_("%(count)s on the shelf") % {"count": f"{figures.available_copies:,}"},
            link=reverse("admin:library_book_changelist") + "?availability=available",
        ),
        Figure(
            _("On loan now"),
            f"{figures.on_loan:,}",
            footer=_("%(percent)s of the copies")
            % {"percent": _percent(figures.on_loan, figures.copies)},
            link=f"{borrows}?returned=no",
        ),
        Figure(
            _("Holds"),
            f"{figures.holds_waiting:,}",
            footer=_("waiting; %(count)s copies on the hold shelf")
            % {"count": f"{figures.held_copies:,}"},
            link=reverse("admin:library_hold_changelist") + "?status=waiting",
        ),
        Figure(
            _("Overdue now"),
            f"{figures.overdue:,}",
            footer=_("%(percent)s of the loans")
            % {"percent": _percent(figures.overdue, figures.on_loan)},
            link=f"{borrows}?overdue=yes",
        ),
        Figure(
            _("Active patrons"),
            f"{figures.active_patrons:,}",
            footer=_("borrowed in the last 30 days, of %(count)s patrons")
            % {"count": f"{figures.patrons:,}"},
            link=reverse("admin:accounts_user_changelist") + "?role=patron",
        ),
        Figure(
            _("Borrowed"),
            f"{figures.borrows_this_month:,}",
            footer=_("since 1 %(month)s") % {"month": month},
        ),
    ]


def _statistics(days: int) -> dict:
    """Every figure and chart of the dashboard for the last ``days`` days (5 queries)."""
    today = timezone.localdate()
    period = Period.from_dates(today - timedelta(days=days - 1), today)
    figures = selectors.dashboard_figures(period=period)
    by_genre = selectors.borrows_by_genre(period=period)
    book_url = "admin:library_book_change"
    user_url = "admin:accounts_user_change"
    return {
        "computed_at": timezone.now(),
        "figures": _figures(figures),
        "borrowed_count": figures.borrowed_in_period,
        "average_loan_days": figures.average_loan_days,
        "per_day_chart": _per_day_chart(period, days),
        "genre_chart": _chart(
            [row["genre"] for row in by_genre],
            _("Loans"),
            [row["count"] for row in by_genre],
        ),
        "has_genre_data": bool(by_genre),
        "top_books": _ranking(
            selectors.most_borrowed_books(period=period, limit=TOP_LIMIT),
            count_of=lambda book: book.borrow_count,
            label_of=lambda book: book.title,
            detail_of=lambda book: book.author.name,
            link_of=lambda book: reverse(book_url, args=[book.pk]),
        ),
        "top_borrowers": _ranking(
            selectors.most_active_borrowers(period=period, limit=TOP_LIMIT),
            count_of=lambda patron: patron.borrow_count,
            label_of=lambda patron: patron.get_username(),
            detail_of=lambda patron: patron.get_full_name() or patron.email,
            link_of=lambda patron: reverse(user_url, args=[patron.pk]),
        ),
    }


def _statistics_cached(days: int) -> dict:
    # Aggregates over the whole loan history are worth a minute of staleness: every
    # librarian opening the admin would otherwise rerun them (DASHBOARD_CACHE_SECONDS).
    timeout = settings.DASHBOARD_CACHE_SECONDS
    if timeout <= 0:
        return _statistics(days)
    key = f"dashboard:{days}:{timezone.localdate().isoformat()}:{get_language()}"
    return cache.get_or_set(key, lambda: _statistics(days), timeout)


def dashboard_callback(request, context: dict) -> dict:
    """UNFOLD["DASHBOARD_CALLBACK"]: adds the statistics to the admin index context."""
    user = request.user
    if not can_read_all_circulation(user):
        # Staff without a library role see the plain list of what they may open.
        return context

    days = period_days(request)
    context.update(
        {
            "title": _("Dashboard"),
            "dashboard": True,
            "days": days,
            "period_label": ngettext("last %(days)d day", "last %(days)d days", days)
            % {"days": days},
            "period_navigation": [
                {
                    "title": ngettext("%(days)d day", "%(days)d days", choice) % {"days": choice},
                    "link": f"?days={choice}",
                    "active": choice == days,
                }
                for choice in PERIOD_CHOICES
            ],
            "per_day_options": _chart_options(rotate_labels=False),
            "genre_options": _chart_options(rotate_labels=True),
            **_statistics_cached(days),
            "can_generate_report": is_librarian(user),
        }
    )
    return context
