"""django-unfold configuration: theme, sidebar, global search and environment badge.

The sidebar is grouped by job. Every item carries a permission callback, so a member of
staff only sees the pages their permissions open (an auditor sees the read-only windows,
a librarian also the report button).
"""

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

# The site's icon (unfold's "local_library" symbol in its primary colour), inline so that
# no page asks for a /favicon.ico that is not there. The landing and error pages use it too.
FAVICON = (
    "data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 viewBox=%220 0 24 24%22%3E"
    "%3Cpath fill=%22%239333ea%22 d=%22M12 11.55C9.64 9.35 6.48 8 3 8v11c3.48 0 6.64 1.35 9 "
    "3.55 2.36-2.19 5.52-3.55 9-3.55V8c-3.48 0-6.64 1.35-9 3.55zM12 8c1.66 0 3-1.34 "
    "3-3s-1.34-3-3-3-3 1.34-3 3 1.34 3 3 3z%22/%3E%3C/svg%3E"
)


def environment_callback(request):
    from django.conf import settings

    if settings.PRODUCTION:
        return [_("Production"), "danger"]
    return [_("Development"), "info"]


def can_view(permission: str):
    """A sidebar permission callback: does the user hold ``app_label.codename``?"""

    def check(request) -> bool:
        return request.user.has_perm(permission)

    check.__name__ = f"can_view_{permission.replace('.', '_')}"
    return check


def can_read_reports(request) -> bool:
    from accounts.roles import can_read_all_circulation

    return can_read_all_circulation(request.user)


def can_open_desk(request) -> bool:
    # Librarians work the desk; auditors may look at it (library.admin.desk).
    from accounts.roles import can_read_all_circulation

    return can_read_all_circulation(request.user)


def loans_active(request) -> bool:
    # The desk's pages live under the loans admin's URLs; only one item is lit for them.
    loans = str(reverse_lazy("admin:library_borrow_changelist"))
    return request.path.startswith(loans) and not request.path.startswith(
        str(reverse_lazy("admin:library_desk"))
    )


def can_generate_report(request) -> bool:
    from accounts.roles import is_librarian

    return is_librarian(request.user)


UNFOLD = {
    "SITE_TITLE": "Shelfwise",
    "SITE_HEADER": "Shelfwise",
    "SITE_SUBHEADER": _("Library back office"),
    "SITE_SYMBOL": "local_library",
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": FAVICON}],
    "ENVIRONMENT": "backoffice.unfold_config.environment_callback",
    # "View site": the landing page, which links to the API docs and the health check.
    "SITE_URL": reverse_lazy("home"),
    "DASHBOARD_CALLBACK": "backoffice.dashboard.dashboard_callback",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # Global search (the command palette, Ctrl+K): model names, and the records of the
    # models listed, found with each admin's own search_fields and permissions. Borrows
    # are left out: a username matches a patron's whole history.
    "COMMAND": {
        "search_models": ["library.author", "library.book", "accounts.user"],
        "show_history": False,
    },
    "SIDEBAR": {
        "show_search": True,
        "command_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "items": [
                    {
                        "title": _("Dashboard"),
                        "icon": "dashboard",
                        "link": reverse_lazy("admin:index"),
                    },
                ],
            },
            {
                "title": _("Catalogue"),
                "items": [
                    {
                        "title": _("Authors"),
                        "icon": "history_edu",
                        "link": reverse_lazy("admin:library_author_changelist"),
                        "permission": can_view("library.view_author"),
                    },
                    {
                        "title": _("Books"),
                        "icon": "menu_book",
                        "link": reverse_lazy("admin:library_book_changelist"),
                        "permission": can_view("library.view_book"),
                    },
                ],
            },
            {
                "title": _("Circulation"),
                "items": [
                    {
                        "title": _("Desk"),
                        "icon": "barcode_reader",
                        "link": reverse_lazy("admin:library_desk"),
                        "permission": can_open_desk,
                    },
                    {
                        "title": _("Loans"),
                        "icon": "swap_horiz",
                        "link": reverse_lazy("admin:library_borrow_changelist"),
                        "permission": can_view("library.view_borrow"),
                        "active": loans_active,
                    },
                    {
                        "title": _("Holds"),
                        "icon": "bookmark",
                        "link": reverse_lazy("admin:library_hold_changelist"),
                        "permission": can_view("library.view_hold"),
                    },
                ],
            },
            {
                "title": _("Patrons"),
                "items": [
                    {
                        "title": _("Users"),
                        "icon": "person",
                        "link": reverse_lazy("admin:accounts_user_changelist"),
                        "permission": can_view("accounts.view_user"),
                    },
                    {
                        "title": _("Blocks"),
                        "icon": "block",
                        "link": reverse_lazy("admin:library_patronblock_changelist"),
                        "permission": can_view("library.view_patronblock"),
                    },
                    {
                        "title": _("Groups"),
                        "icon": "group",
                        "link": reverse_lazy("admin:auth_group_changelist"),
                        "permission": can_view("auth.view_group"),
                    },
                ],
            },
            {
                "title": _("Notices"),
                "items": [
                    {
                        "title": _("Notice log"),
                        "icon": "notifications",
                        "link": reverse_lazy("admin:library_notice_changelist"),
                        "permission": can_view("library.view_notice"),
                    },
                    {
                        "title": _("E-mails"),
                        "icon": "mail",
                        "link": reverse_lazy("admin:post_office_email_changelist"),
                        "permission": can_view("post_office.view_email"),
                    },
                    {
                        "title": _("Templates"),
                        "icon": "edit_note",
                        "link": reverse_lazy("admin:post_office_emailtemplate_changelist"),
                        "permission": can_view("post_office.view_emailtemplate"),
                    },
                    {
                        "title": _("Patron preferences"),
                        "icon": "tune",
                        "link": reverse_lazy("admin:library_patronpreferences_changelist"),
                        "permission": can_view("library.view_patronpreferences"),
                    },
                ],
            },
            {
                "title": _("Reports"),
                "items": [
                    {
                        "title": _("Generate report now"),
                        "icon": "summarize",
                        "link": reverse_lazy(
                            "admin:django_celery_results_taskresult_generate_report"
                        ),
                        "permission": can_generate_report,
                    },
                    {
                        "title": _("Task results"),
                        "icon": "task_alt",
                        "link": reverse_lazy("admin:django_celery_results_taskresult_changelist"),
                        "permission": can_view("django_celery_results.view_taskresult"),
                    },
                    {
                        "title": _("Report files"),
                        "icon": "description",
                        "link": reverse_lazy("admin:reports_report_files"),
                        "permission": can_read_reports,
                    },
                ],
            },
            {
                "title": _("Audit"),
                "items": [
                    {
                        "title": _("Changes"),
                        "icon": "manage_search",
                        "link": reverse_lazy("admin:audit_changes"),
                        "permission": can_read_reports,
                    },
                ],
            },
            {
                "title": _("Security"),
                "items": [
                    {
                        "title": _("API tokens"),
                        "icon": "key",
                        "link": reverse_lazy("admin:knox_authtoken_changelist"),
                        "permission": can_view("knox.view_authtoken"),
                    },
                    {
                        "title": _("Access attempts"),
                        "icon": "lock_clock",
                        "link": reverse_lazy("admin:axes_accessattempt_changelist"),
                        "permission": can_view("axes.view_accessattempt"),
                    },
                    {
                        "title": _("Access failures"),
                        "icon": "gpp_bad",
                        "link": reverse_lazy("admin:axes_accessfailurelog_changelist"),
                        "permission": can_view("axes.view_accessfailurelog"),
                    },
                    {
                        "title": _("Access logs"),
                        "icon": "receipt_long",
                        "link": reverse_lazy("admin:axes_accesslog_changelist"),
                        "permission": can_view("axes.view_accesslog"),
                    },
                ],
            },
        ],
    },
}
