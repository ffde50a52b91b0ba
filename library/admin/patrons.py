"""The patron record: the users admin with the patron's loans, holds and history.

accounts knows nothing of loans (apps depend one way), so the library extends its user
admin here: loan columns and an overdue filter on the list (annotated: a page of users is
the same queries however many loans they have), and on a patron's page the desk's panel
with Lend, Renew and Check-in, which post to the desk's own actions. Registered, with
reader privacy's additions, by ``privacy``.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from accounts.admin import UserAdmin
from library.selectors import desk as desk_selectors
from library.services import desk as desk_services


class OverdueLoansFilter(admin.SimpleListFilter):
    title = _("loans")
    parameter_name = "loans"

    def lookups(self, request, model_admin):
        return [("overdue", _("With overdue loans")), ("open", _("With loans out"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return desk_selectors.with_overdue_loans(queryset)
        if self.value() == "open":
            return queryset.filter(open_loans__gt=0)
        return queryset


class PatronRecordAdmin(UserAdmin):
    list_display = [
        *UserAdmin.list_display[:3],
        "open_loans",
        "overdue_loans",
        *UserAdmin.list_display[3:],
    ]
    list_filter = [*UserAdmin.list_filter, OverdueLoansFilter]
    change_form_outer_before_template = "admin/library/desk/patron_record.html"

    def get_queryset(self, request):
        return desk_selectors.with_loan_counts(super().get_queryset(request))

    @display(description=_("On loan"), ordering="open_loans")
    def open_loans(self, user):
        return user.open_loans

    @display(description=_("Overdue"), ordering="overdue_loans", label={"overdue": "danger"})
    def overdue_loans(self, user):
        if user.overdue_loans:
            return "overdue", str(user.overdue_loans)
        return "", "0"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not obj.is_staff:
            context.update(
                patron_panel=desk_selectors.patron_panel(obj, with_history=True),
                may_act=desk_services.desk_may_act(request.user),
                next_url=request.get_full_path(),
                now=timezone.now(),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
