"""The admin as a whole: theme, sidebar, search, roles, third-party models, lockout."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from unfold.admin import ModelAdmin as UnfoldModelAdmin

from accounts.models import User
from backoffice.core.admin_inputs import AdminInputGuardMixin
from library.models import Author, Book, Borrow
from tests.factories import PASSWORD, UserFactory

from .conftest import queries_for_get, web_client_for

pytestmark = pytest.mark.django_db

UNFOLD_CSS = "unfold/css/styles.css"


def test_unfold_config_is_installed(settings):
    from backoffice.unfold_config import UNFOLD

    # backoffice/settings.py must expose the UNFOLD dict of backoffice/unfold_config.py.
    assert settings.UNFOLD is UNFOLD
    assert settings.UNFOLD["DASHBOARD_CALLBACK"] == "backoffice.dashboard.dashboard_callback"


@pytest.mark.parametrize(
    "model",
    [Author, Book, Borrow, User, Group, AuthToken, AccessAttempt, AccessLog, AccessFailureLog],
)
def test_every_model_uses_the_unfold_model_admin(model):
    assert isinstance(admin.site._registry[model], UnfoldModelAdmin)


def test_every_admin_page_is_themed_and_checks_its_input():
    plain = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not (
            isinstance(model_admin, UnfoldModelAdmin)
            and isinstance(model_admin, AdminInputGuardMixin)
        )
    ]
    assert plain == []


def test_post_office_attachments_are_not_offered():
    superuser = UserFactory(is_staff=True, is_superuser=True)
    response = web_client_for(superuser).get("/admin/post_office/attachment/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:library_author_changelist",
        "admin:library_book_changelist",
        "admin:library_borrow_changelist",
        "admin:accounts_user_changelist",
        "admin:auth_group_changelist",
        "admin:knox_authtoken_changelist",
        "admin:axes_accessattempt_changelist",
        "admin:axes_accesslog_changelist",
        "admin:axes_accessfailurelog_changelist",
    ],
)
def test_pages_render_with_the_unfold_theme(librarian_web, url_name):
    response = librarian_web.get(reverse(url_name))

    assert response.status_code == 200
    html = response.content.decode()
    assert UNFOLD_CSS in html
    assert "Development" in html  # the environment badge


def test_sidebar_groups_pages_by_job(librarian_web):
    html = librarian_web.get(reverse("admin:index")).content.decode()

    for group in ("Catalogue", "Circulation", "Patrons", "Reports", "Security"):
        assert group in html
    for url_name in (
        "admin:library_author_changelist",
        "admin:library_book_changelist",
        "admin:library_borrow_changelist",
        "admin:accounts_user_changelist",
        "admin:auth_group_changelist",
        "admin:django_celery_results_taskresult_changelist",
        "admin:django_celery_results_taskresult_generate_report",
        "admin:reports_report_files",
        "admin:knox_authtoken_changelist",
        "admin:axes_accessattempt_changelist",
        "admin:axes_accesslog_changelist",
        "admin:axes_accessfailurelog_changelist",
    ):
        assert f'href="{reverse(url_name)}"' in html, url_name


def test_sidebar_shows_only_what_the_user_may_view(db):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_book"))

    html = web_client_for(clerk).get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("admin:library_book_changelist")}"' in html
    for hidden in (
        "admin:library_borrow_changelist",
        "admin:accounts_user_changelist",
        "admin:django_celery_results_taskresult_generate_report",
        "admin:knox_authtoken_changelist",
    ):
        assert f'href="{reverse(hidden)}"' not in html, hidden


def test_auditors_do_not_see_the_report_button(auditor_web):
    html = auditor_web.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("admin:library_borrow_changelist")}"' in html
    assert reverse("admin:django_celery_results_taskresult_generate_report") not in html


def test_global_search_finds_books_authors_and_patrons(librarian_web, book, patron):
    response = librarian_web.get(reverse("admin:search"), {"s": "moonstone", "extended": "1"})
    assert response.status_code == 200
    assert "The Moonstone" in response.content.decode()

    response = librarian_web.get(reverse("admin:search"), {"s": "wilkie", "extended": "1"})
    assert "Wilkie Collins" in response.content.decode()

    response = librarian_web.get(reverse("admin:search"), {"s": patron.username, "extended": "1"})
    assert patron.username in response.content.decode()


def test_patrons_cannot_enter_the_admin(patron_web):
    response = patron_web.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_logging_in_from_the_login_page_lands_on_the_dashboard(librarian):
    browser = Client()
    page = browser.get(reverse("admin:login"))
    assert 'name="next" value="/admin/"' in page.content.decode()

    response = browser.post(
        reverse("admin:login"),
        {"username": librarian.username, "password": PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_patrons_cannot_log_in_to_the_admin(patron):
    response = Client().post(
        reverse("admin:login"), {"username": patron.username, "password": PASSWORD}
    )

    assert response.status_code == 200  # the form again, with an error
    assert "staff account" in response.content.decode()
    assert "_auth_user_id" not in Client().session


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin:library_book_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- Auditors: read-only everywhere ------------------------------------------------------


def test_auditors_see_change_pages_without_save_buttons(auditor_web, borrowed_book):
    borrow = borrowed_book.borrows.get()
    for url in (
        reverse("admin:library_book_change", args=[borrowed_book.pk]),
        reverse("admin:library_author_change", args=[borrowed_book.author_id]),
        reverse("admin:library_borrow_change", args=[borrow.pk]),
        reverse("admin:accounts_user_change", args=[borrow.user_id]),
    ):
        response = auditor_web.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'name="_save"' not in html, url
        assert 'name="_continue"' not in html, url


def test_auditors_cannot_change_anything(auditor_web, borrowed_book):
    url = reverse("admin:library_book_change", args=[borrowed_book.pk])
    response = auditor_web.post(
        url,
        {
            "title": "Renamed",
            "author": borrowed_book.author_id,
            "isbn": borrowed_book.isbn,
            "genre": "Drama",
            "total_copies": 9,
        },
    )

    assert response.status_code == 403
    borrowed_book.refresh_from_db()
    assert borrowed_book.title == "The Moonstone"
    assert auditor_web.get(reverse("admin:library_book_add")).status_code == 403
    assert (
        auditor_web.post(
            reverse("admin:library_book_delete", args=[borrowed_book.pk]), {}
        ).status_code
        == 403
    )


def test_auditors_cannot_run_the_return_action(auditor_web, borrowed_book):
    borrow = borrowed_book.borrows.get()

    response = auditor_web.post(
        reverse("admin:library_borrow_changelist"),
        {"action": "mark_returned", "_selected_action": [borrow.pk]},
    )

    assert response.status_code in (200, 302)
    borrow.refresh_from_db()
    assert borrow.return_date is None


def test_auditors_read_history_and_export_but_cannot_import(auditor_web, book):
    assert auditor_web.get(reverse("admin:library_book_history", args=[book.pk])).status_code == 200
    assert auditor_web.get(reverse("admin:library_book_export")).status_code == 200
    assert auditor_web.get(reverse("admin:library_book_import")).status_code == 403
    html = auditor_web.get(reverse("admin:library_book_changelist")).content.decode()
    assert reverse("admin:library_book_export") in html
    assert reverse("admin:library_book_import") not in html


# --- Patron accounts, managed by librarians ------------------------------------------------


def test_librarians_cannot_edit_staff_accounts(librarian_web, auditor):
    url = reverse("admin:accounts_user_change", args=[auditor.pk])
    html = librarian_web.get(url).content.decode()
    assert 'name="_save"' not in html

    response = librarian_web.post(
        reverse("admin:auth_user_password_change", args=[auditor.pk]),
        {"password1": "x-new-Password-42", "password2": "x-new-Password-42"},
    )
    assert response.status_code == 403
    auditor.refresh_from_db()
    assert auditor.check_password(PASSWORD)


def test_librarians_edit_patrons_but_not_their_roles(librarian_web, patron):
    url = reverse("admin:accounts_user_change", args=[patron.pk])
    html = librarian_web.get(url).content.decode()
    assert 'name="_save"' in html
    assert 'name="is_superuser"' not in html
    assert 'name="groups"' not in html

    response = librarian_web.post(
        url,
        {
            "username": patron.username,
            "email": "new@example.org",
            "first_name": "Pat",
            "last_name": "Ron",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )

    assert response.status_code == 302
    patron.refresh_from_db()
    assert patron.email == "new@example.org"
    assert not patron.is_superuser and not patron.is_staff
    assert patron.history.first().history_user.is_staff


def test_users_list_shows_roles_with_a_constant_number_of_queries(librarian_web, auditor):
    url = reverse("admin:accounts_user_changelist")
    UserFactory.create_batch(3)
    few = queries_for_get(librarian_web, url)
    UserFactory.create_batch(30)

    assert queries_for_get(librarian_web, url) == few
    html = librarian_web.get(url).content.decode()
    for role in ("Librarian", "Auditor", "Patron"):
        assert role in html


# --- Security models: read-only windows -----------------------------------------------------


def test_security_records_are_read_only(librarian_web, librarian):
    token, _ = AuthToken.objects.create(user=librarian)
    attempt = AccessAttempt.objects.create(
        username="someone",
        ip_address="10.0.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/admin/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )

    assert librarian_web.get(reverse("admin:knox_authtoken_add")).status_code == 403
    assert librarian_web.get(reverse("admin:axes_accessattempt_add")).status_code == 403
    response = librarian_web.get(reverse("admin:knox_authtoken_change", args=[token.pk]))
    assert response.status_code == 200
    assert '<input type="text"' not in response.content.decode()
    response = librarian_web.post(
        reverse("admin:axes_accessattempt_change", args=[attempt.pk]), {"username": "x"}
    )
    assert response.status_code == 403


def test_librarians_lift_a_lockout_by_deleting_the_attempt(librarian_web):
    attempt = AccessAttempt.objects.create(
        username="forgetful",
        ip_address="10.0.0.2",
        user_agent="test",
        http_accept="*/*",
        path_info="/auth/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )

    response = librarian_web.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()


# --- Login lockout (django-axes) ---------------------------------------------------------------


def test_admin_login_locks_out_after_five_failures(librarian, settings):
    browser = Client()
    url = reverse("admin:login")
    statuses = [
        browser.post(url, {"username": librarian.username, "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    locked = browser.post(url, {"username": librarian.username, "password": PASSWORD})

    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Account locked" in html
    assert UNFOLD_CSS in html  # the lockout page is themed like the login page
    attempt = AccessAttempt.objects.get(username=librarian.username)
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT
    assert "_auth_user_id" not in browser.session


def test_staff_without_a_library_role_get_the_plain_index(db):
    clerk = UserFactory(is_staff=True)
    response = web_client_for(clerk).get(reverse("admin:index"))

    assert response.status_code == 200
    assert not response.context.get("dashboard")
    assert 'id="dashboard"' not in response.content.decode()
