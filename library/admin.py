from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin

from .models import Author, Book, Borrow


@admin.register(Author)
class AuthorAdmin(SimpleHistoryAdmin, ModelAdmin):
    list_display = ["name", "nationality", "birthdate"]
    search_fields = ["name"]


@admin.register(Book)
class BookAdmin(SimpleHistoryAdmin, ModelAdmin):
    list_display = ["title", "author", "genre", "total_copies", "available_copies"]
    list_select_related = ["author"]
    search_fields = ["title", "isbn", "author__name"]
    autocomplete_fields = ["author"]


@admin.register(Borrow)
class BorrowAdmin(SimpleHistoryAdmin, ModelAdmin):
    list_display = ["book", "user", "borrow_date", "due_date", "return_date"]
    list_select_related = ["book", "user"]
    raw_id_fields = ["book", "user"]
