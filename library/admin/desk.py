"""The circulation desk (Circulation > Desk): one scan box, the patron panel, the actions.

Plain forms, posted and redirected back (the scan box has the focus again after each one,
so a scanner's digits and Enter go straight on to the next book). Every write goes through
``library.services.desk``, which resolves the scan and calls the circulation services; the
views only read the form, call it and say what happened. Librarians and auditors open the
desk; only librarians act (the buttons are not shown to others, and a forged post is 403).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import can_read_all_circulation
from backoffice.core.errors import DomainError
from backoffice.core.inputs import parse_id
from library import selectors
from library.services import desk as desk_services
from library.services.loans import patron_name

HOLD_SHELF_TAG = "hold_shelf"


def day(value) -> str:
    return date_format(timezone.localtime(value), "j M Y")


def desk_url(**params) -> str:
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return reverse("admin:library_desk") + (f"?{urlencode(params)}" if params else "")


def _back(request, default: str):
    """Back where the form was (the desk, a patron's record, a loan's page), or ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _posted_patron(request):
    patron_id = parse_id(request.POST.get("patron", ""))
    return None if patron_id is None else selectors.patron_by_id(patron_id)


def hold_shelf_words(hold) -> str:
    """Said plainly where the book is in the librarian's hand: it goes to the hold shelf."""
    return _(
        "Hold shelf: put “%(title)s” on the hold shelf for %(patron)s (card %(card)s); "
        "it waits for them until %(deadline)s."
    ) % {
        "title": hold.book.title,
        "patron": patron_name(hold.user),
        "card": hold.user.card_number,
        "deadline": day(hold.expires_at),
    }


def _say_returned(request, borrow) -> None:
    messages.success(
        request,
        _("Checked in “%(title)s” from %(patron)s.")
        % {"title": borrow.book.title, "patron": patron_name(borrow.user)},
    )
    if borrow.trapped_hold is not None:
        messages.warning(request, hold_shelf_words(borrow.trapped_hold), extra_tags=HOLD_SHELF_TAG)


class DeskViews:
    """The desk's pages, hung off the loans admin (its permissions, its URL space)."""

    def __init__(self, model_admin):
        self.model_admin = model_admin
        self.admin_site = model_admin.admin_site

    def urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("desk/", view(self.desk), name="library_desk"),
            path("desk/scan/", view(self.scan), name="library_desk_scan"),
            path("desk/return/", view(self.check_in), name="library_desk_return"),
            path("desk/renew/", view(self.renew), name="library_desk_renew"),
            path("desk/hold/", view(self.hold_place), name="library_desk_hold"),
            path("desk/hold/cancel/", view(self.hold_cancel), name="library_desk_hold_cancel"),
        ]

    # --- the page -----------------------------------------------------------------------

    def desk(self, request):
        if not can_read_all_circulation(request.user):
            raise PermissionDenied
        patron = None
        patron_id = parse_id(request.GET.get("patron", ""))
        if patron_id is not None:
            patron = selectors.patron_by_id(patron_id)
            if patron is None:
                messages.error(request, _("No such patron."))
        query = request.GET.get("q", "").strip()[:100]
        checkin_book = None
        checkin_loans = []
        book_id = parse_id(request.GET.get("checkin", ""))
        if book_id is not None and patron is None:
            checkin_loans = selectors.book_open_loans(book_id)
            checkin_book = checkin_loans[0].book if checkin_loans else None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Circulation desk"),
            "patron": patron,
            "panel": selectors.patron_panel(patron) if patron is not None else None,
            "found_patrons": selectors.patrons_search(query) if query and patron is None else [],
            "query": query,
            "checkin_book": checkin_book,
            "checkin_loans": checkin_loans,
            "may_act": desk_services.desk_may_act(request.user),
            "here": request.get_full_path(),
            "now": timezone.now(),
        }
        return TemplateResponse(request, "admin/library/desk/desk.html", context)

    # --- the actions --------------------------------------------------------------------

    def _post_by_librarian(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not desk_services.desk_may_act(request.user):
            raise PermissionDenied
        return None

    def scan(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_read_all_circulation(request.user):
            raise PermissionDenied
        patron = _posted_patron(request)
        here = desk_url(patron=patron.pk if patron else None)
        try:
            result = desk_services.desk_scan(
                text=request.POST.get("scan", ""), actor=request.user, patron=patron
            )
        except desk_services.DeskNotAllowed:
            raise PermissionDenied from None
        except DomainError as error:
            messages.error(request, error.detail)
            return _back(request, here)
        if result.kind == "patron":
            return redirect(desk_url(patron=result.patron.pk))
        if result.kind == "search":
            return redirect(desk_url(q=request.POST.get("scan", "").strip()[:100]))
        if result.kind == "choose":
            return redirect(desk_url(checkin=result.book.pk))
        if result.kind == "lent":
            borrow = result.borrow
            messages.success(
                request,
                _("Lent “%(title)s” to %(patron)s, due back %(due)s.")
                % {
                    "title": borrow.book.title,
                    "patron": patron_name(patron),
                    "due": day(borrow.due_date),
                },
            )
            return _back(request, here)
        _say_returned(request, result.borrow)  # "returned"
        return _back(request, desk_url())

    def check_in(self, request):
        refused = self._post_by_librarian(request)
        if refused:
            return refused
        borrow_id = parse_id(request.POST.get("borrow", ""))
        if borrow_id is None:
            messages.error(request, _("Choose a loan to check in."))
            return _back(request, desk_url())
        try:
            borrow = desk_services.desk_return(borrow_id=borrow_id, actor=request.user)
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            _say_returned(request, borrow)
        return _back(request, desk_url())

    def renew(self, request):
        refused = self._post_by_librarian(request)
        if refused:
            return refused
        patron = _posted_patron(request)
        titles = {}
        if request.POST.get("all") and patron is not None:
            loans = selectors.patron_open_loans(patron.pk)
            borrow_ids = [loan.pk for loan in loans]
            titles = {loan.pk: loan.book.title for loan in loans}
        else:
            borrow_id = parse_id(request.POST.get("borrow", ""))
            borrow_ids = [] if borrow_id is None else [borrow_id]
        renewed, refusals = desk_services.desk_renew(borrow_ids=borrow_ids, actor=request.user)
        if not borrow_ids:
            messages.error(request, _("There is no loan to renew."))
        for borrow in renewed:
            messages.success(
                request,
                _("Renewed “%(title)s”: due back %(due)s.")
                % {"title": borrow.book.title, "due": day(borrow.due_date)},
            )
        for borrow_id, detail in refusals:
            title = titles.get(borrow_id)
            messages.error(request, f"“{title}”: {detail}" if title else detail)
        if len(renewed) > 1:
            messages.info(
                request,
                ngettext("%(count)d loan renewed.", "%(count)d loans renewed.", len(renewed))
                % {"count": len(renewed)},
            )
        return _back(request, desk_url(patron=patron.pk if patron else None))

    def hold_place(self, request):
        refused = self._post_by_librarian(request)
        if refused:
            return refused
        patron = _posted_patron(request)
        if patron is None:
            messages.error(request, _("Open a patron first."))
            return _back(request, desk_url())
        try:
            hold = desk_services.desk_hold_place(
                patron=patron, text=request.POST.get("isbn", ""), actor=request.user
            )
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("Hold placed for %(patron)s on “%(title)s”, number %(position)d in line.")
                % {
                    "patron": patron_name(patron),
                    "title": hold.book.title,
                    "position": selectors.position_of(hold),
                },
            )
        return _back(request, desk_url(patron=patron.pk))

    def hold_cancel(self, request):
        refused = self._post_by_librarian(request)
        if refused:
            return refused
        patron = _posted_patron(request)
        hold_id = parse_id(request.POST.get("hold", ""))
        back = desk_url(patron=patron.pk if patron else None)
        if hold_id is None:
            messages.error(request, _("Choose a hold to cancel."))
            return _back(request, back)
        try:
            hold = desk_services.desk_hold_cancel(hold_id=hold_id, actor=request.user)
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("Cancelled %(patron)s's hold on “%(title)s”.")
                % {"patron": patron_name(hold.user), "title": hold.book.title},
            )
        return _back(request, back)
