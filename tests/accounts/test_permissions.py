"""Roles and permissions are read in one query, and direct permissions still count."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.roles import is_auditor, is_librarian
from tests.factories import AuditorFactory, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as a new request sees it: nothing cached on the instance."""
    return type(user).objects.get(pk=user.pk)


def test_roles_and_all_permissions_cost_one_query(django_assert_num_queries):
    librarian = LibrarianFactory()
    librarian.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    librarian = fresh(librarian)

    with django_assert_num_queries(1):
        assert is_librarian(librarian)
        assert not is_auditor(librarian)
        assert librarian.has_perm("library.change_book")  # from the Librarians group
        assert librarian.has_perm("admin.view_logentry")  # given to the user directly
        assert not librarian.has_perm("auth.change_group")


def test_a_permission_given_directly_opens_its_admin_page(client):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_author"))
    client.force_login(clerk)

    assert client.get(reverse("admin:library_author_changelist")).status_code == 200
    assert client.get(reverse("admin:library_book_changelist")).status_code == 403


def test_a_direct_permission_does_not_make_a_role(client):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_borrow"))
    clerk = fresh(clerk)

    assert not is_librarian(clerk)
    assert not is_auditor(clerk)
    assert clerk.get_user_permissions() == {"library.view_borrow"}
    assert clerk.get_group_permissions() == set()


def test_group_permissions_are_not_taken_for_direct_ones():
    auditor = fresh(AuditorFactory())

    assert auditor.get_user_permissions() == set()
    assert "library.view_borrow" in auditor.get_group_permissions()
    assert not auditor.has_perm("library.change_borrow")


def test_superusers_keep_every_permission():
    admin = fresh(UserFactory(is_staff=True, is_superuser=True))

    assert admin.has_perm("auth.change_group")
    assert "auth.change_group" in admin.get_all_permissions()
