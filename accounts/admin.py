"""Admin for people and security: users, groups, API tokens and login lockouts (unfold).

Third-party models (auth groups, knox tokens, axes records) are re-registered with
unfold's ModelAdmin so the whole back office shares one theme. Tokens and lockout records
are read-only windows; a lockout can be lifted by deleting its access attempt.
"""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.admin import AccessFailureLogAdmin as AxesAccessFailureLogAdmin
from axes.admin import AccessLogAdmin as AxesAccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from knox.models import AuthToken
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm

from accounts.passwords import password_reset_mail_queue
from accounts.resources import PatronResource
from backoffice.core.admin import NoAddOrChangeMixin, ReadOnlyHistoryAdmin, StaffImportExportMixin
from backoffice.core.admin_inputs import AdminInputGuardMixin

from .forms import UserChangeForm, UserCreationForm
from .models import User
from .roles import AUDITORS, LIBRARIANS

# Read-only panels other apps add to a user's page, as callables ``(user) -> HTML`` (the
# library: the patron's blocks and notices). accounts imports none of those apps, and a
# read-only field adds nothing a browser has to post back (an inline would).
USER_PAGE_PANELS: list = []

# Fields only an administrator may change: they hand out roles and permissions.
ADMIN_ONLY_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [
            ("patron", _("Patrons")),
            ("librarian", _("Librarians")),
            ("auditor", _("Auditors")),
            ("admin", _("Administrators")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "patron":
            return queryset.patrons()
        if value == "librarian":
            return queryset.filter(
                Q(is_superuser=True) | Q(is_staff=True, groups__name=LIBRARIANS)
            ).distinct()
        if value == "auditor":
            return queryset.filter(
                is_staff=True, is_superuser=False, groups__name=AUDITORS
            ).distinct()
        if value == "admin":
            return queryset.filter(is_superuser=True)
        return queryset


ROLE_NAMES = {
    "admin": _("Administrator"),
    "librarian": _("Librarian"),
    "auditor": _("Auditor"),
    "staff": _("Staff"),
    "patron": _("Patron"),
}


def _role(user) -> str:
    # Mirrors accounts.roles, but reads the prefetched groups (no query per row).
    if user.is_superuser:
        return "admin"
    names = {group.name for group in user.groups.all()}
    if user.is_staff and LIBRARIANS in names:
        return "librarian"
    if user.is_staff and AUDITORS in names:
        return "auditor"
    return "staff" if user.is_staff else "patron"


@admin.register(User)
class UserAdmin(
    ReadOnlyHistoryAdmin, StaffImportExportMixin, ImportExportMixin, DjangoUserAdmin, ModelAdmin
):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    resource_classes = [PatronResource]
    list_display = [
        "username",
        "full_name",
        "card_number",
        "email",
        "role",
        "is_active",
        "date_joined",
    ]
    list_filter = [RoleFilter, "is_active", "is_staff"]
    # The card number too: the autocomplete of every form that picks a patron uses these.
    search_fields = ["username", "email", "first_name", "last_name", "=card_number"]
    search_help_text = _("Username, name, email or card number")
    ordering = ["username"]
    actions = ["send_password_reset"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "card_number")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @action(
        description=_("Send a password reset e-mail"), permissions=["change"], icon="lock_reset"
    )
    def send_password_reset(self, request, queryset):
        """The same mail as the API's reset, for a patron who asks at the desk."""
        sent, skipped = [], []
        for user in queryset:
            if self._is_protected(request, user) or not password_reset_mail_queue(user=user):
                skipped.append(user.get_username())
            else:
                sent.append(user.get_username())
        if sent:
            self.message_user(
                request,
                _("Password reset e-mail queued for %(names)s.") % {"names": ", ".join(sent)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("Not sent (no e-mail address, or a staff account): %(names)s.")
                % {"names": ", ".join(skipped)},
                messages.WARNING,
            )

    @display(description=_("Name"), ordering="last_name")
    def full_name(self, user):
        return user.get_full_name()

    @display(
        description=_("Role"),
        label={"admin": "danger", "librarian": "success", "auditor": "warning", "staff": "info"},
    )
    def role(self, user):
        role = _role(user)
        return role, ROLE_NAMES[role]

    def _is_protected(self, request, obj) -> bool:
        # A librarian manages patrons; staff accounts (and their passwords) are the
        # administrators' business, or a librarian could take over an admin account.
        return (
            obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser
        )

    def has_change_permission(self, request, obj=None):
        if self._is_protected(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._is_protected(request, obj):
            return False
        if obj is not None and self._has_loan_history(obj):
            # Loans keep their patron (PROTECT) for the history; deactivate instead.
            return False
        return super().has_delete_permission(request, obj)

    def _has_loan_history(self, user) -> bool:
        # Through the reverse relation: accounts knows nothing of the library's models.
        if not hasattr(user, "_shelfwise_has_loans"):
            user._shelfwise_has_loans = user.borrows.exists()
        return user._shelfwise_has_loans

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "panels"]
        if not request.user.is_superuser:
            readonly += [*ADMIN_ONLY_FIELDS, "last_login", "date_joined"]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and USER_PAGE_PANELS:
            fieldsets.append((_("Circulation"), {"fields": ["panels"]}))
        return fieldsets

    @display(description=_("Blocks and notices"))
    def panels(self, user):
        return format_html_join("", "{}", ((panel(user),) for panel in USER_PAGE_PANELS))


for model in (Group, AuthToken, AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(Group)
class GroupAdmin(AdminInputGuardMixin, DjangoGroupAdmin, ModelAdmin):
    pass


# --- Security: read-only windows -----------------------------------------------------------


@admin.register(AuthToken)
class AuthTokenAdmin(AdminInputGuardMixin, NoAddOrChangeMixin, ModelAdmin):
    """Knox tokens: who holds one and until when. Deleting one revokes it (admins only)."""

    list_display = ["token_key", "user", "created", "expiry", "expired"]
    list_select_related = ["user"]
    search_fields = ["token_key", "user__username"]
    fields = ["token_key", "user", "created", "expiry"]
    readonly_fields = fields
    ordering = ["-created"]

    @display(description=_("Expired"), boolean=True)
    def expired(self, token):
        return token.expiry is not None and token.expiry < timezone.now()


def _staff_usernames(request) -> frozenset[str]:
    # Lockout rows name a username, not an account; read the staff names once a request
    # (the delete confirmation asks about every selected row).
    if not hasattr(request, "_shelfwise_staff_usernames"):
        names = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).values_list(
            "username", flat=True
        )
        request._shelfwise_staff_usernames = frozenset(name.lower() for name in names)
    return request._shelfwise_staff_usernames


@admin.register(AccessAttempt)
class AccessAttemptAdmin(
    AdminInputGuardMixin, NoAddOrChangeMixin, AxesAccessAttemptAdmin, ModelAdmin
):
    """Failed logins per username and address; delete attempts to lift a lockout.

    Librarians lift the lockouts of patrons (and of usernames no account has); a lockout
    of a staff account is for administrators, or a librarian could clear the way for
    guesses at an administrator's password.
    """

    # With the site's delete_selected; axes' clean-up action is left out, as it asks for
    # no permission at all.
    actions = ["lift_lockouts"]

    def _may_lift(self, request, username) -> bool:
        if request.user.is_superuser:
            return True
        return (username or "").lower() not in _staff_usernames(request)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self._may_lift(request, obj.username):
            return False
        return super().has_delete_permission(request, obj)

    def _refuse_staff(self, request, usernames) -> None:
        if not all(self._may_lift(request, username) for username in usernames):
            raise PermissionDenied

    def delete_queryset(self, request, queryset):
        # The bulk delete checked each row already; check again where the rows go.
        self._refuse_staff(request, set(queryset.values_list("username", flat=True)))
        super().delete_queryset(request, queryset)

    @admin.action(
        description=_("Lift the lockout of these usernames (all addresses)"), permissions=["delete"]
    )
    def lift_lockouts(self, request, queryset):
        # A username-wide lockout is the sum over every address, so deleting one row may
        # not lift it; this deletes every row of the selected usernames.
        usernames = set(queryset.values_list("username", flat=True))
        self._refuse_staff(request, usernames)
        rows = AccessAttempt.objects.filter(username__in=usernames - {None})
        if None in usernames:
            rows |= AccessAttempt.objects.filter(username__isnull=True)
        deleted, _per_model = rows.delete()
        self.message_user(
            request,
            _("Lifted the lockout of %(names)s (%(rows)d records deleted).")
            % {"names": ", ".join(sorted(filter(None, usernames))) or "-", "rows": deleted},
        )


@admin.register(AccessLog)
class AccessLogAdmin(AdminInputGuardMixin, NoAddOrChangeMixin, AxesAccessLogAdmin, ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(
    AdminInputGuardMixin, NoAddOrChangeMixin, AxesAccessFailureLogAdmin, ModelAdmin
):
    def has_delete_permission(self, request, obj=None):
        return False
