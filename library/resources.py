"""CSV import and export for the back office (django-import-export).

Resources only parse and render rows: every catalogue write goes through
``library.services`` with the importing user as the actor, so an import obeys the same
rules as the API and the admin forms and its history names who imported. A file imports
all or nothing: rows run in one transaction that is rolled back when any row is invalid.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist, ValidationError
from import_export import fields, resources, widgets

from accounts.roles import AUDITORS, LIBRARIANS

from . import services
from .isbn import normalize_isbn
from .models import Author, Book, Borrow

STAFF_GROUPS = frozenset({LIBRARIANS, AUDITORS})


class AllOrNothingResource(resources.ModelResource):
    """A resource whose imports roll back entirely when any row is invalid."""

    def get_diff_headers(self):
        # The preview's column titles: "ISBN" and "Total copies" rather than the CSV's
        # "isbn" and "total_copies" (which stay the file's headers).
        opts = self._meta.model._meta
        headers = []
        for field in self.get_import_fields():
            try:
                headers.append(str(opts.get_field(field.attribute).verbose_name))
            except FieldDoesNotExist:
                headers.append(field.column_name.replace("_", " "))
        return headers

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        # import-export rolls back on row *errors* by default but keeps the valid rows
        # when others fail *validation*; a half-imported catalogue helps nobody.
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )


def _is_blank(value) -> bool:
    return value is None or str(value).strip() == ""


def import_reason(kwargs) -> str:
    """The history's change reason for a row written by an import."""
    file_name = kwargs.get("file_name")
    return f"CSV import ({file_name})" if file_name else "CSV import"


# --- Authors ----------------------------------------------------------------------------


class AuthorResource(AllOrNothingResource):
    """Authors matched by name: a known name updates that author, a new one creates it."""

    class Meta:
        model = Author
        fields = ("name", "bio", "birthdate", "nationality")
        import_id_fields = ("name",)
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except Author.MultipleObjectsReturned:
            raise ValidationError(
                {"name": f"Several authors are named {row.get('name')!r}; edit them by hand."}
            ) from None

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = kwargs.get("user")
        values = {name: getattr(instance, name) for name in self._meta.fields}
        reason = import_reason(kwargs)
        if is_create:
            created = services.author_create(actor=actor, reason=reason, **values)
            instance.pk = created.pk
            instance._state.adding = False
        else:
            services.author_update(author=instance, actor=actor, reason=reason, **values)


# --- Books ------------------------------------------------------------------------------


class IsbnWidget(widgets.CharWidget):
    """ISBN-10 or ISBN-13 in, normalised ISBN-13 out (the form the catalogue stores)."""

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            raise ValueError("An ISBN is required.")
        try:
            return normalize_isbn(str(value))
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None


class AuthorByNameWidget(widgets.ForeignKeyWidget):
    """The author column holds a name; an unknown name creates the author."""

    def __init__(self):
        super().__init__(Author, field="name")

    def clean(self, value, row=None, **kwargs):
        name = "" if value is None else str(value).strip()
        if not name:
            raise ValueError("An author name is required.")
        matches = list(Author.objects.filter(name=name).order_by("id")[:2])
        if len(matches) > 1:
            raise ValueError(f"Several authors are named {name!r}; edit this book by hand.")
        if matches:
            return matches[0]
        # Created inside the import's transaction: a preview or a failed import rolls the
        # new author back with everything else.
        return services.author_create(
            actor=kwargs.get("user"), reason=import_reason(kwargs), name=name
        )


class CopiesWidget(widgets.IntegerWidget):
    """A whole number of copies; anything else is a row error, not a crash."""

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        text = str(value).strip()
        if not text.lstrip("-").isdigit():
            raise ValueError(f"Enter a whole number of copies, not {text!r}.")
        return int(text)


class BookResource(AllOrNothingResource):
    """Books matched by ISBN. Copies go through the same checks as a staff edit.

    ``available_copies`` is optional: left out (or blank), a new book has every copy on the
    shelf and a changed ``total_copies`` moves the shelf count by the same amount.
    """

    author = fields.Field(attribute="author", column_name="author", widget=AuthorByNameWidget())
    isbn = fields.Field(attribute="isbn", column_name="isbn", widget=IsbnWidget())
    total_copies = fields.Field(
        attribute="total_copies",
        column_name="total_copies",
        widget=CopiesWidget(),
        saves_null_values=False,
    )
    available_copies = fields.Field(
        attribute="available_copies",
        column_name="available_copies",
        widget=CopiesWidget(),
        saves_null_values=False,
    )

    class Meta:
        model = Book
        fields = (
            "title",
            "author",
            "isbn",
            "genre",
            "publication_date",
            "total_copies",
            "available_copies",
        )
        import_id_fields = ("isbn",)
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError as error:
            # The ISBN is the row's key, so it is parsed before any other column.
            raise ValidationError({"isbn": str(error)}) from None

    def get_queryset(self):
        return Book.objects.select_related("author")

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = kwargs.get("user")
        catalogue = {
            "title": instance.title,
            "author": instance.author,
            "isbn": instance.isbn,
            "genre": instance.genre,
            "publication_date": instance.publication_date,
        }
        available = None if _is_blank(row.get("available_copies")) else instance.available_copies
        if is_create:
            book = services.book_create(
                actor=actor,
                total_copies=instance.total_copies,
                available_copies=available,
                reason=import_reason(kwargs),
                **catalogue,
            )
        else:
            total = None if _is_blank(row.get("total_copies")) else instance.total_copies
            book = services.book_update(
                book_id=instance.pk,
                actor=actor,
                total_copies=total,
                available_copies=available,
                reason=import_reason(kwargs),
                **catalogue,
            )
        # The service computed the counts under a row lock; show those in the preview.
        instance.pk = book.pk
        instance._state.adding = False
        instance.total_copies = book.total_copies
        instance.available_copies = book.available_copies

    def import_instance(self, instance, row, **kwargs):
        if instance.pk is not None and _is_blank(row.get("available_copies")):
            # Until the service moves it, keep the in-memory shelf count in step with a
            # new total so the preview's diff does not show a count that never existed.
            before = instance.total_copies
            super().import_instance(instance, row, **kwargs)
            instance.available_copies += instance.total_copies - before
            return
        super().import_instance(instance, row, **kwargs)


# --- Patrons ----------------------------------------------------------------------------


class GroupNamesWidget(widgets.ManyToManyWidget):
    def __init__(self):
        super().__init__(Group, separator="|", field="name")

    def clean(self, value, row=None, **kwargs):
        names = [] if _is_blank(value) else [n.strip() for n in str(value).split("|")]
        names = [n for n in names if n]
        groups = list(Group.objects.filter(name__in=names))
        unknown = sorted(set(names) - {group.name for group in groups})
        if unknown:
            raise ValueError(f"Unknown group(s): {', '.join(unknown)}.")
        return groups


class PatronResource(AllOrNothingResource):
    """Patron accounts. Passwords are never exported nor imported.

    A new account gets an unusable password (the patron sets one through a reset).
    Staff accounts and the staff groups are left to administrators: a librarian's import
    cannot touch a staff account nor put anyone in the Librarians or Auditors group.
    """

    groups = fields.Field(
        attribute="groups", column_name="groups", widget=GroupNamesWidget(), m2m_add=False
    )
    is_staff = fields.Field(
        attribute="is_staff",
        column_name="is_staff",
        widget=widgets.BooleanWidget(),
        readonly=True,
    )
    date_joined = fields.Field(
        attribute="date_joined",
        column_name="date_joined",
        widget=widgets.DateTimeWidget(),
        readonly=True,
    )

    class Meta:
        model = get_user_model()
        fields = (
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "groups",
            "is_staff",
            "date_joined",
        )
        import_id_fields = ("username",)
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return get_user_model().objects.prefetch_related("groups")

    def import_instance(self, instance, row, **kwargs):
        actor = kwargs.get("user")
        is_admin = bool(actor and actor.is_superuser)
        errors = {}
        is_staff_account = instance.pk is not None and (instance.is_staff or instance.is_superuser)
        if is_staff_account and not is_admin:
            errors["username"] = "This is a staff account; only an administrator can edit it."
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors.update(error.message_dict)
        if "groups" in row:
            # Groups are saved after the row (many-to-many), so check them here, where an
            # error is reported against the row rather than as a crash.
            try:
                names = {group.name for group in self.fields["groups"].clean(row)}
            except ValueError as error:
                errors["groups"] = str(error)
            else:
                if names & STAFF_GROUPS and not is_admin:
                    errors["groups"] = (
                        "Only an administrator can grant the Librarians or Auditors role."
                    )
        if errors:
            raise ValidationError(errors)

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            # Set before validation: the password field may not be blank.
            instance.set_unusable_password()

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = kwargs.get("user")
        if actor is not None and actor.is_authenticated:
            instance._history_user = actor
        instance._change_reason = import_reason(kwargs)
        instance.save()

    def dehydrate_groups(self, user):
        # Uses the prefetched groups: one query for the whole export.
        return "|".join(sorted(group.name for group in user.groups.all()))


# --- Borrows (export only) --------------------------------------------------------------


class BorrowResource(resources.ModelResource):
    username = fields.Field(attribute="user__username", column_name="username")
    book = fields.Field(attribute="book__title", column_name="book")
    isbn = fields.Field(attribute="book__isbn", column_name="isbn")
    author = fields.Field(attribute="book__author__name", column_name="author")
    genre = fields.Field(attribute="book__genre", column_name="genre")
    is_returned = fields.Field(
        attribute="is_returned",
        column_name="is_returned",
        widget=widgets.BooleanWidget(),
        readonly=True,
    )
    is_overdue = fields.Field(
        attribute="is_overdue",
        column_name="is_overdue",
        widget=widgets.BooleanWidget(),
        readonly=True,
    )

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
