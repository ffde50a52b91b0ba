"""simple-history's model field, with the per-write costs that depend only on the model
paid once per model. The rows written are the same.

- simple-history's descriptor builds a new manager class (``from_queryset``) on every
  access to ``instance.history``, and it reads that attribute once per history row it
  writes: about 0.8 ms of a borrow's CPU. The class is built on first use and reused.
- Each history row was inserted by ``Model.save()``, which compiles its INSERT anew
  every time. A new row is now written by an INSERT compiled once per model and
  database (``HistoryRowInsert``), the values prepared by each field as the ORM
  prepares them. Historical models have no save signals of their own to skip.
"""

import threading

from django.db import connections, models, router
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords as LibraryHistoricalRecords

_insert_sql: dict[tuple[type, str], tuple[str, list, bool]] = {}
_insert_sql_lock = threading.Lock()


class HistoryRowInsert(models.Model):
    """The base of every historical model: a new row in one INSERT compiled once.

    Abstract, so migrations see the models as before (abstract bases are flattened).
    Anything but a plain first save goes through ``Model.save()``.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if args or set(kwargs) - {"using"} or not self._state.adding or self.pk is not None:
            return super().save(*args, **kwargs)
        model = type(self)
        using = kwargs.get("using") or router.db_for_write(model, instance=self)
        connection = connections[using]
        sql, fields, returns_pk = _insert_statement(model, using)
        values = [
            field.get_db_prep_save(field.pre_save(self, True), connection) for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            if returns_pk:
                (self.pk,) = cursor.fetchone()
            else:
                self.pk = connection.ops.last_insert_id(
                    cursor, model._meta.db_table, model._meta.pk.column
                )
        self._state.adding = False
        self._state.db = using


def _insert_statement(model, using: str) -> tuple[str, list, bool]:
    key = (model, using)
    statement = _insert_sql.get(key)
    if statement is None:
        with _insert_sql_lock:
            connection = connections[using]
            quote = connection.ops.quote_name
            fields = [field for field in model._meta.concrete_fields if not field.primary_key]
            returns_pk = connection.features.can_return_columns_from_insert
            sql = "INSERT INTO {} ({}) VALUES ({}){}".format(
                quote(model._meta.db_table),
                ", ".join(quote(field.column) for field in fields),
                ", ".join(["%s"] * len(fields)),
                f" RETURNING {quote(model._meta.pk.column)}" if returns_pk else "",
            )
            statement = _insert_sql[key] = (sql, fields, returns_pk)
    return statement


class ManagerClassReusingDescriptor(HistoryDescriptor):
    def __get__(self, instance, owner):
        manager_class = self.__dict__.get("manager_class_built")
        if manager_class is None:
            # Two threads may both build it on first use; either class serves.
            manager_class = self.manager_class.from_queryset(self.queryset_class)
            self.manager_class_built = manager_class
        return manager_class(self.model, instance)


class HistoricalRecords(LibraryHistoricalRecords):
    def __init__(self, *args, bases=(HistoryRowInsert,), **kwargs):
        super().__init__(*args, bases=bases, **kwargs)

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        installed = sender.__dict__.get(self.manager_name)
        if type(installed) is HistoryDescriptor:
            setattr(
                sender,
                self.manager_name,
                ManagerClassReusingDescriptor(
                    installed.model,
                    manager=installed.manager_class,
                    queryset=installed.queryset_class,
                ),
            )


# What a history row adds to the tracked columns.
HISTORY_PARAMETERS = frozenset(
    {"history_date", "history_change_reason", "history_type", "history_user_id"}
)
_history_insert_sql: dict[tuple[type, str, str], tuple[str, list[str]]] = {}


def history_insert_sql(model, source: str, using: str) -> tuple[str, list[str]]:
    """``INSERT INTO`` the history table of ``model`` ``SELECT … FROM source``, for a WITH
    statement whose ``source`` returns the rows of ``model`` as written; and the names of
    its parameters (``HISTORY_PARAMETERS``), in the order the SQL takes them.

    Each tracked column is copied from ``source``: the row is the one simple-history
    writes for that save, field for field.
    """
    key = (model, source, using)
    statement = _history_insert_sql.get(key)
    if statement is None:
        historical = model.history.model
        quote = connections[using].ops.quote_name
        tracked = {field.attname for field in model._meta.concrete_fields}
        columns, values, parameters = [], [], []
        for field in historical._meta.concrete_fields:
            if field.primary_key:
                continue
            columns.append(quote(field.column))
            if field.attname in HISTORY_PARAMETERS:
                values.append("%s")
                parameters.append(field.attname)
            elif field.attname in tracked:
                values.append(f"{quote(source)}.{quote(field.column)}")
            else:
                raise LookupError(f"{historical.__name__}.{field.attname} has no source")
        if set(parameters) != HISTORY_PARAMETERS:
            raise LookupError(f"{historical.__name__} lacks one of {sorted(HISTORY_PARAMETERS)}")
        sql = "INSERT INTO {} ({}) SELECT {} FROM {}".format(
            quote(historical._meta.db_table), ", ".join(columns), ", ".join(values), quote(source)
        )
        statement = _history_insert_sql[key] = (sql, parameters)
    return statement
