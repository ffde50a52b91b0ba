"""What the catalogue and circulation admins share: wording and a genre filter."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import (
    DropdownFilter,
)

from library import selectors

ADMIN_REASON = _("Edited in the admin")


class GenreFilter(DropdownFilter):
    title = _("genre")
    parameter_name = "genre"
    field_path = "genre"

    def lookups(self, request, model_admin):
        return [(genre, genre) for genre in selectors.genres()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


def _borrow_status(borrow):
    if borrow.is_returned:
        return _("Returned")
    return _("Overdue") if borrow.is_overdue else _("On loan")


def hold_shelf_message(hold) -> str:
    """What the librarian holding a returned book is told: it goes to the hold shelf."""
    patron = hold.user.get_full_name() or hold.user.get_username()
    return _("“%(title)s” goes to the hold shelf for %(patron)s, until %(deadline)s.") % {
        "title": hold.book.title,
        "patron": patron,
        "deadline": date_format(timezone.localtime(hold.expires_at), "j M Y"),
    }
