"""CSV import and export: the admin's preview/confirm views and the resources behind them."""

from pathlib import Path

import pytest
import tablib
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from import_export.tmp_storages import CacheStorage

from accounts.models import User
from accounts.resources import PatronResource
from accounts.roles import LIBRARIANS
from library.models import Author, Book
from library.resources import AuthorResource, BookResource
from tests.factories import BookFactory, BorrowFactory, UserFactory

from .conftest import web_client_for

pytestmark = pytest.mark.django_db

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "import_samples"

BAD_BOOKS = b"""title,author,isbn,genre,publication_date,total_copies
Good Book,New Author,9798202400018,Drama,1900-01-01,2
Bad Check Digit,New Author,9798202400019,Drama,,2
Bad Copies,New Author,9798202400025,Drama,,two
"""


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def preview(client, model: str, name: str, content: bytes):
    """Step 1 of an admin import: upload, get the preview (a dry run)."""
    return client.post(
        reverse(f"admin:{model}_import"), {"format": "0", "import_file": upload(name, content)}
    )


def import_through_admin(client, model: str, path: Path):
    """Both steps of an admin import: the preview, then the confirmation."""
    response = preview(client, model, path.name, path.read_bytes())
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None, response.context["result"].invalid_rows
    return client.post(reverse(f"admin:{model}_process_import"), confirm.initial)


def dataset(content: bytes) -> tablib.Dataset:
    return tablib.Dataset().load(content.decode(), format="csv")


# --- The sample files -----------------------------------------------------------------------


def test_sample_files_import_cleanly_and_record_the_importer(librarian_web, librarian):
    for model, sample in (
        ("library_author", "authors.csv"),
        ("library_book", "books.csv"),
        ("accounts_user", "patrons.csv"),
    ):
        response = import_through_admin(librarian_web, model, SAMPLES / sample)
        assert response.status_code == 302, sample

    assert Author.objects.count() == 5  # four from authors.csv, one created by books.csv
    assert Book.objects.count() == 7
    warden = Book.objects.get(title="The Warden")
    assert warden.isbn == "9781861972712"  # imported as ISBN-10
    assert Book.objects.get(title="Cranford").isbn == "9798202400025"  # hyphens dropped
    assert (warden.total_copies, warden.available_copies) == (2, 2)
    assert warden.history.get().history_user == librarian
    assert warden.history.get().history_change_reason == "CSV import (books.csv)"
    assert Author.objects.get(name="Charles Reade").history.get().history_user == librarian
    pip = User.objects.get(username="pip")
    assert not pip.has_usable_password() and not pip.is_staff
    assert not User.objects.get(username="jeyre").is_active
    assert pip.history.get().history_user == librarian


def test_sample_isbns_do_not_collide_with_the_demo_catalogue():
    demo = dataset((Path(settings.BASE_DIR) / "fixtures" / "books.csv").read_bytes())
    samples = dataset((SAMPLES / "books.csv").read_bytes())
    from library.isbn import normalize_isbn

    assert not {normalize_isbn(i) for i in demo["isbn"]} & {
        normalize_isbn(i) for i in samples["isbn"]
    }


def test_importing_a_file_twice_changes_nothing(librarian_web):
    import_through_admin(librarian_web, "library_book", SAMPLES / "books.csv")
    before = Book.history.count()

    response = preview(
        librarian_web, "library_book", "books.csv", (SAMPLES / "books.csv").read_bytes()
    )

    assert {row.import_type for row in response.context["result"].rows} == {"skip"}
    assert Book.history.count() == before


# --- Preview and row errors; all or nothing -----------------------------------------------------


def test_preview_shows_rows_and_writes_nothing(librarian_web):
    response = preview(
        librarian_web, "library_book", "books.csv", (SAMPLES / "books.csv").read_bytes()
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "North and South" in html and "Confirm import" in html
    assert not Book.objects.exists() and not Author.objects.exists()


def test_a_bad_row_shows_row_errors_and_no_confirm_button(librarian_web):
    response = preview(librarian_web, "library_book", "bad.csv", BAD_BOOKS)

    result = response.context["result"]
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert errors[2] == {"isbn": ["Not a valid ISBN-13: the check digit does not match."]}
    assert errors[3] == {"total_copies": ["Enter a whole number of copies, not 'two'."]}
    assert response.context.get("confirm_form") is None
    html = response.content.decode()
    assert "Some rows failed to validate" in html
    assert "the check digit does not match" in html
    assert not Book.objects.exists() and not Author.objects.exists()


def test_a_bad_row_at_confirmation_imports_nothing(librarian_web, librarian):
    # The file changed between preview and confirmation (or the request was forged):
    # process_import itself must refuse the whole file.
    storage = CacheStorage()
    storage.save(BAD_BOOKS)

    response = librarian_web.post(
        reverse("admin:library_book_process_import"),
        {
            "import_file_name": storage.name,
            "original_file_name": "bad.csv",
            "format": "0",
            "resource": "",
        },
    )

    assert response.status_code == 302
    assert not Book.objects.exists()
    assert not Author.objects.exists()  # the author the good row created is rolled back too


def test_the_resource_api_is_all_or_nothing_too(librarian):
    result = BookResource().import_data(dataset(BAD_BOOKS), dry_run=False, user=librarian)

    assert result.has_validation_errors()
    assert not Book.objects.exists() and not Author.objects.exists()


def test_copies_follow_the_service_rules_on_update(librarian):
    book = BookFactory(isbn="9798202400018", total_copies=3)
    BorrowFactory(book=book)
    BorrowFactory(book=book)
    content = (
        "title,author,isbn,genre,publication_date,total_copies\n"
        f"{book.title},{book.author.name},{book.isbn},{book.genre},,1\n"
    )

    result = BookResource().import_data(dataset(content.encode()), dry_run=False, user=librarian)

    assert result.invalid_rows[0].error_dict["total_copies"] == [
        "2 copies are on loan; total copies cannot drop below that."
    ]
    book.refresh_from_db()
    assert book.total_copies == 3

    grown = content.replace(",1\n", ",5\n")
    result = BookResource().import_data(dataset(grown.encode()), dry_run=False, user=librarian)
    assert not result.has_validation_errors() and not result.has_errors()
    book.refresh_from_db()
    assert (book.total_copies, book.available_copies) == (5, 3)
    assert book.history.first().history_user == librarian


def test_authors_are_matched_by_name(librarian):
    content = b"name,bio,birthdate,nationality\nKate Chopin,,1850-02-08,American\n"
    AuthorResource().import_data(dataset(content), user=librarian)
    updated = content.replace(b"American", b"US")

    result = AuthorResource().import_data(dataset(updated), user=librarian)

    assert [row.import_type for row in result.rows] == ["update"]
    assert Author.objects.get().nationality == "US"


# --- Patrons ------------------------------------------------------------------------------------


def test_patron_export_has_groups_but_no_passwords(librarian_web, librarian):
    UserFactory(username="reader")

    response = librarian_web.post(
        reverse("admin:accounts_user_export"), {"format": "0", "resource": "0"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    header = content.splitlines()[0]
    assert header == (
        "username,email,first_name,last_name,card_number,is_active,groups,is_staff,date_joined"
    )
    assert "password" not in content and "pbkdf2" not in content
    assert (
        f"{librarian.username},{librarian.email},,,{librarian.card_number},1,{LIBRARIANS},1,"
        in content
    )


def test_librarians_cannot_grant_staff_roles_by_import(librarian, patron):
    content = f"username,groups\n{patron.username},{LIBRARIANS}\n".encode()

    result = PatronResource().import_data(dataset(content), user=librarian)

    assert result.invalid_rows[0].error_dict == {
        "groups": ["Only an administrator can grant the Librarians or Auditors role."]
    }
    assert not patron.groups.exists()


def test_librarians_cannot_edit_staff_accounts_by_import(librarian, auditor):
    content = f"username,email\n{auditor.username},taken@example.org\n".encode()

    result = PatronResource().import_data(dataset(content), user=librarian)

    assert "username" in result.invalid_rows[0].error_dict
    auditor.refresh_from_db()
    assert auditor.email != "taken@example.org"


def test_administrators_may_set_groups_by_import(patron):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    content = f"username,groups\n{patron.username},{LIBRARIANS}|Unknown\n".encode()

    result = PatronResource().import_data(dataset(content), user=admin)
    assert result.invalid_rows[0].error_dict == {"groups": ["Unknown group(s): Unknown."]}

    content = f"username,groups\n{patron.username},{LIBRARIANS}\n".encode()
    result = PatronResource().import_data(dataset(content), user=admin)
    assert not result.has_validation_errors()
    assert list(patron.groups.all()) == [Group.objects.get(name=LIBRARIANS)]


# --- Borrows export and permissions -------------------------------------------------------------


def test_borrows_export_as_csv(auditor_web):
    borrow = BorrowFactory()

    response = auditor_web.post(
        reverse("admin:library_borrow_export"), {"format": "0", "resource": "0"}
    )

    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == (
        "id,username,book,isbn,author,genre,borrow_date,due_date,return_date,is_returned,is_overdue"
    )
    assert lines[1].startswith(
        f"{borrow.pk},{borrow.user.username},{borrow.book.title},{borrow.book.isbn},"
        f"{borrow.book.author.name},{borrow.book.genre},"
    )
    assert lines[1].endswith(",0,0")


def test_borrows_cannot_be_imported():
    with pytest.raises(NoReverseMatch):
        reverse("admin:library_borrow_import")


def test_auditors_cannot_import(auditor_web):
    response = preview(
        auditor_web, "library_book", "books.csv", (SAMPLES / "books.csv").read_bytes()
    )

    assert response.status_code == 403
    assert not Book.objects.exists()


def test_staff_without_edit_rights_cannot_import(db):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_book"))
    client = web_client_for(viewer)

    assert client.get(reverse("admin:library_book_import")).status_code == 403
    assert client.get(reverse("admin:library_book_export")).status_code == 200
