"""Loans in CSV: export only (a loan is made by lending, never by a file)."""

from import_export import fields, widgets

from backoffice.core.resources import SpreadsheetSafeResource, column
from library.models import Borrow


class BorrowResource(SpreadsheetSafeResource):
    username = fields.Field(attribute="user__username", column_name="username")
    book = fields.Field(attribute="book__title", column_name="book")
    isbn = fields.Field(attribute="book__isbn", column_name="isbn")
    author = fields.Field(attribute="book__author__name", column_name="author")
    genre = fields.Field(attribute="book__genre", column_name="genre")
    is_returned = column("is_returned", widgets.BooleanWidget(), readonly=True)
    is_overdue = column("is_overdue", widgets.BooleanWidget(), readonly=True)

    class Meta:
        model = Borrow
        fields = (
            "id",
            "username",
            "book",
            "isbn",
            "author",
            "genre",
            "borrow_date",
            "due_date",
            "return_date",
            "is_returned",
            "is_overdue",
        )
        export_order = fields

    def get_queryset(self):
        return Borrow.objects.select_related("book__author", "user")
