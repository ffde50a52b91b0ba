"""Exports a spreadsheet opens as text: no cell typed by someone starts a formula.

Every CSV the admin serves goes through one rule (backoffice.core.spreadsheet): a text cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single
quote; numbers and dates stay as they are. Imported back, the quote comes off again.
"""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export import fields, widgets

from backoffice.core.resources import SpreadsheetSafeResource
from backoffice.core.spreadsheet import formula_restore, formula_safe, formula_safe_row
from library.models import Author
from tests.factories import AuthorFactory, BookFactory, BorrowFactory, UserFactory

pytestmark = pytest.mark.django_db

DANGEROUS = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def export_rows(client, model: str) -> list[dict]:
    """The admin's CSV export of ``model`` ("app_model"), read as a spreadsheet would."""
    response = client.post(reverse(f"admin:{model}_export"), {"format": "0", "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))


def admin_import(client, model: str, name: str, content: bytes):
    """Both steps of an admin import: the preview, then the confirmation."""
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    response = client.post(reverse(f"admin:{model}_import"), {"format": "0", "import_file": upload})
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None, response.context["result"].invalid_rows
    return client.post(reverse(f"admin:{model}_process_import"), confirm.initial)


# --- The rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*DANGEROUS, "\0x", "=", "-"])
def test_text_that_could_start_a_formula_gets_a_quote(text):
    assert formula_safe(text) == "'" + text
    assert formula_restore(formula_safe(text)) == text


@pytest.mark.parametrize("value", ["Jane Austen", "", "'quoted", "a=b", " =1", "'", "O'Brien"])
def test_other_text_is_left_alone(value):
    assert formula_safe(value) == value
    assert formula_restore(value) == value


@pytest.mark.parametrize("value", [-2, -1.5, 0, None, True, date(1900, 1, 1)])
def test_values_that_are_not_text_are_left_alone(value):
    assert formula_safe(value) is value


def test_a_row_for_csv_writer():
    assert formula_safe_row(["=1", -3, "Emma"]) == ["'=1", -3, "Emma"]


def test_negative_numbers_written_as_numbers_keep_their_sign():
    class OffsetResource(SpreadsheetSafeResource):
        offset = fields.Field(
            attribute="offset", column_name="offset", widget=widgets.IntegerWidget()
        )

        class Meta:
            model = Author
            fields = ("name", "offset")

    author = Author(name="-Minus")
    author.offset = -2

    dataset = OffsetResource().export([author])

    assert dataset.dict == [{"name": "'-Minus", "offset": "-2"}]


# --- Every export in the admin --------------------------------------------------------------


def test_author_export_neutralises_every_formula_start(librarian_web):
    for name in DANGEROUS:
        AuthorFactory(name=name, nationality="@home", bio="=1+1")
    AuthorFactory(name="Jane Austen", nationality="British", birthdate=date(1775, 12, 16))

    rows = {row["name"]: row for row in export_rows(librarian_web, "library_author")}

    assert set(rows) == {"'" + name for name in DANGEROUS} | {"Jane Austen"}
    for name in DANGEROUS:
        assert rows["'" + name]["nationality"] == "'@home"
        assert rows["'" + name]["bio"] == "'=1+1"
    assert rows["Jane Austen"]["nationality"] == "British"
    assert rows["Jane Austen"]["birthdate"] == "1775-12-16"


def test_book_export_neutralises_text_and_keeps_numbers(librarian_web):
    book = BookFactory(
        title="=cmd|' /C calc'!A0", genre="+Drama", author=AuthorFactory(name="-Anonymous")
    )

    (row,) = export_rows(librarian_web, "library_book")

    assert row["title"] == "'=cmd|' /C calc'!A0"
    assert row["genre"] == "'+Drama"
    assert row["author"] == "'-Anonymous"
    assert row["isbn"] == book.isbn
    assert (row["total_copies"], row["available_copies"]) == ("3", "3")


def test_borrow_export_neutralises_text(auditor_web):
    borrow = BorrowFactory(
        user=UserFactory(username="@reader"),
        book=BookFactory(title="@SUM(A1)", genre="-x", author=AuthorFactory(name="=A")),
    )

    (row,) = export_rows(auditor_web, "library_borrow")

    assert row["id"] == str(borrow.pk)
    assert (row["username"], row["book"], row["genre"], row["author"]) == (
        "'@reader",
        "'@SUM(A1)",
        "'-x",
        "'=A",
    )
    assert row["is_returned"] == "0"


def test_patron_export_neutralises_text(librarian_web):
    UserFactory(username="+reader", first_name='=HYPERLINK("http://x")', last_name="\tTab")

    rows = {row["username"]: row for row in export_rows(librarian_web, "accounts_user")}

    row = rows["'+reader"]
    assert row["first_name"] == '\'=HYPERLINK("http://x")'
    assert row["last_name"] == "'\tTab"
    assert row["email"] == "'+reader@example.org"


# --- Round trip -----------------------------------------------------------------------------


def test_an_exported_file_imports_back_without_gaining_a_quote(librarian_web):
    for name in DANGEROUS:
        AuthorFactory(name=name, nationality="British")
    export = librarian_web.post(
        reverse("admin:library_author_export"), {"format": "0", "resource": "0"}
    ).content
    # A librarian adds a row in a spreadsheet, typing the quote that keeps it text.
    content = export + b"'=NEW(),,,British\r\n"

    response = admin_import(librarian_web, "library_author", "authors.csv", content)

    assert response.status_code == 302
    names = set(Author.objects.values_list("name", flat=True))
    assert names == {*DANGEROUS, "=NEW()"}  # matched by name: nothing doubled, no quotes
    again = librarian_web.post(
        reverse("admin:library_author_export"), {"format": "0", "resource": "0"}
    ).content
    assert again.replace(b"'=NEW(),,,British\r\n", b"") == export
