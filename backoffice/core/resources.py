"""django-import-export plumbing every CSV resource builds on.

Exports are spreadsheet-safe (``SpreadsheetSafeResource``: no cell a spreadsheet would run
as a formula), and imports are all or nothing (``AllOrNothingResource``).
"""

from django.core.exceptions import FieldDoesNotExist
from import_export import fields, resources, widgets

from backoffice.core.spreadsheet import formula_restore, formula_safe

# Values per "IN (...)" lookup: bounds the memory of a lookup whatever the file size.
LOOKUP_CHUNK = 1000


def chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Widgets that write only what they formatted from a typed value (a number, a date, a
# boolean): a leading "-" there is a negative number, not a formula.
TYPED_WIDGETS = (
    widgets.NumberWidget,
    widgets.BooleanWidget,
    widgets.DateWidget,
    widgets.DateTimeWidget,
    widgets.TimeWidget,
    widgets.DurationWidget,
)


class SpreadsheetSafeResource(resources.ModelResource):
    """Exports whose text cells a spreadsheet will not run as formulas (formula_safe).

    Imports read such a cell back as the text it stands for (formula_restore), so a file
    exported, edited and imported again neither runs a formula nor gains a quote.
    """

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field.widget, TYPED_WIDGETS):
            return value
        return formula_safe(value)

    def before_import(self, dataset, **kwargs):
        # The whole file, before anything reads it: the book import looks its authors and
        # ISBNs up column by column before the first row is imported.
        for index in range(len(dataset)):
            row = dataset[index]
            restored = tuple(formula_restore(value) for value in row)
            if restored != row:
                dataset[index] = restored
        super().before_import(dataset, **kwargs)


class AllOrNothingResource(SpreadsheetSafeResource):
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


def column(name: str, widget, **options) -> fields.Field:
    """A CSV column that reads and writes the attribute of the same name."""
    return fields.Field(attribute=name, column_name=name, widget=widget, **options)


def is_blank(value) -> bool:
    return value is None or str(value).strip() == ""


def import_reason(kwargs) -> str:
    """The history's change reason for a row written by an import."""
    file_name = kwargs.get("file_name")
    return f"CSV import ({file_name})" if file_name else "CSV import"
