"""A page and the number of rows it is a page of, in one statement, for lists that are
usually short: a catalogue search matches a few dozen to a few thousand titles.

Django's paginator counts the rows, then reads the page. On PostgreSQL a search's count
gathers its matches from the trigram indexes, and the page then walks the title index in
order, testing each title, because the planner cannot foresee where in title order the
matches lie: for "island" (3,510 titles of 100,000) the count took 8 ms and the page 16 ms,
reading 7,000 titles to find 20. Here the matches are gathered once, at most ``CAP + 1`` of
them, and sorted: the same 3,510 titles, counted and paged, in 12 ms.

A list longer than ``CAP`` is counted and paged as Django does: sorting tens of thousands
of titles costs more than the walk ("the", 61,826 matches: 123 ms against 84). The one
statement spent on finding that out reads ``CAP + 1`` rows and stops.
"""

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F
from django.db.models.constants import LOOKUP_SEP
from django.db.models.query import ModelIterable

# Sorting this many short rows costs PostgreSQL about 4 ms; a page of a longer list is
# better read in order from an index.
CAP = 5_000


class CountedPagePaginator(Paginator):
    """Django's ``Paginator`` over a queryset whose order is a list of field names (the
    model's ``ordering``, or ``order_by`` names, ``-`` for descending), which is what the
    API's ordering parameter gives. Any other queryset, orphans, or a page beyond the
    list's end take Django's own count-then-page path, as does a list over ``cap`` rows.
    """

    cap = CAP

    def page(self, number):
        found = self._page_with_count(number)
        if found is None:
            return super().page(number)
        keys, count = found
        self.__dict__["count"] = count  # Paginator.count is a cached_property
        number = self.validate_number(number)
        if not keys:
            return self._get_page([], number, self)
        rows = {row.pk: row for row in self.rows_with_keys(keys)}
        # A row deleted since the first statement is left out of the page.
        return self._get_page([rows[key] for key in keys if key in rows], number, self)

    def rows_with_keys(self, keys: list) -> Iterable:
        """The page's rows, in any order. A subclass may read them without the list's
        filters (the keys were found by them), from a statement compiled once."""
        return self.object_list.filter(pk__in=keys).order_by()

    def _page_with_count(self, number) -> tuple[list, int] | None:
        ordering = self._ordering()
        if ordering is None or self.orphans:
            return None
        try:
            number = int(number)
        except (TypeError, ValueError):
            return None
        offset = (number - 1) * self.per_page
        if number < 1 or offset > self.cap:
            # Such a page is past the end or on a list too long for one statement (and a
            # huge number would not fit the database's OFFSET).
            return None
        queryset = self.object_list
        # The page's keys and the sort columns, under names of their own (a book's title
        # and its author's name would both be called "name" otherwise). The key sorts
        # last, so that rows tied on the ordering keep one order from page to page.
        pk_names = {"pk", queryset.model._meta.pk.name, queryset.model._meta.pk.attname}
        columns = {"key_0": F("pk")}
        order = []
        for name, descending in ordering:
            alias = "key_0" if name in pk_names else f"key_{len(columns)}"
            columns.setdefault(alias, F(name))
            order.append((alias, descending))
        if not any(alias == "key_0" for alias, _ in order):
            order.append(("key_0", False))
        matches = queryset.order_by().values(**columns)[: self.cap + 1]
        connection = connections[queryset.db]
        try:
            sql, params = matches.query.get_compiler(connection=connection).as_sql()
        except EmptyResultSet:  # a filter that matches nothing, such as pk__in=[]
            return ([], 0) if number == 1 else None
        quote = connection.ops.quote_name
        order_by = ", ".join(
            f"{quote(alias)} {'DESC' if descending else 'ASC'}" for alias, descending in order
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('key_0')}, COUNT(*) OVER () FROM ({sql}) matches "
                f"ORDER BY {order_by} LIMIT %s OFFSET %s",
                [*params, self.per_page, offset],
            )
            rows = cursor.fetchall()
        if not rows:
            # Either nothing matches or the page lies past the end; only the first is
            # told by an empty page 1.
            return ([], 0) if number == 1 else None
        count = rows[0][1]
        if count > self.cap:
            return None
        return [key for key, _ in rows], count

    def _ordering(self) -> list[tuple[str, bool]] | None:
        queryset = self.object_list
        if getattr(queryset, "_iterable_class", None) is not ModelIterable:
            return None  # not a queryset of model instances
        query = queryset.query
        if query.is_sliced or query.combinator or query.distinct or query.extra_order_by:
            return None
        if not queryset.ordered or query.group_by is not None:
            return None
        if any(getattr(value, "contains_aggregate", False) for value in query.annotations.values()):
            return None  # grouped rows: values() would group them otherwise
        names = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        ordering = []
        for name in names:
            if not isinstance(name, str) or name.lstrip("-") in ("", "?"):
                return None
            field_name = name.removeprefix("-")
            if field_name not in query.annotations and not _one_per_row(query.model, field_name):
                return None
            ordering.append((field_name, name.startswith("-")))
        return ordering or None


def _one_per_row(model, path: str) -> bool:
    """Whether ``path`` (``author__name``) names one value per row of ``model``: a field
    reached through foreign keys only, never through a relation to many rows, which
    would repeat a row once per related row."""
    *relations, last = path.split(LOOKUP_SEP)
    for name in relations:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if not (field.many_to_one or field.one_to_one) or field.related_model is None:
            return False
        model = field.related_model
    if last == "pk":
        return True
    try:
        field = model._meta.get_field(last)
    except FieldDoesNotExist:
        return False
    # A relation sorts by its model's own ordering, which a column cannot stand for.
    return field.concrete and not field.is_relation
