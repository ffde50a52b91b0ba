"""Querysets compiled to SQL once, for the statements every borrow and return runs, and
querysets built once, for the lists every page of the catalogue reads.

Building and compiling a queryset costs the ORM 0.5 to 1.5 ms of CPU each time, more than
the database spends running the statement. A ``CompiledQuery`` builds its queryset once
per database, with stand-in values for its parameters, keeps the SQL, and on each call
runs that SQL with the real values. The rows become what the queryset itself would give:
dicts for a ``values()`` queryset, otherwise model instances with their
``select_related`` objects and annotations, converted as the ORM converts them.

So the querysets stay the one definition of what they read (``Borrow.objects.open()``
and the like); only the compiling is shared.
"""

import functools
import re
import threading
from collections.abc import Callable
from itertools import count

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


def built_once(build: Callable[[], QuerySet]) -> Callable[[], QuerySet]:
    """``build()`` runs once per process; each call gives a fresh clone of its queryset.

    Resolving a list's annotations (correlated subqueries) costs the ORM 0.7-1.7 ms on
    every request; a clone costs 0.01 ms and shares no results. Only for querysets that
    depend on neither the moment nor the request: no ``now()``, no user.
    """
    template = functools.cache(build)

    @functools.wraps(build)
    def fresh() -> QuerySet:
        return template().all()

    return fresh


def once_per_class(instance, attribute: str, build: Callable[[], object]):
    """What ``build()`` gives, built for the first instance of ``type(instance)`` and kept
    on that class (not inherited by subclasses, which build their own)."""
    cls = type(instance)
    built = cls.__dict__.get(attribute)
    if built is None:
        # Two threads may both build it on first use; either result serves.
        built = build()
        setattr(cls, attribute, built)
    return built


def prepared_cursor(connection):
    """A cursor whose statements the server keeps prepared where the backend offers one
    (``backoffice.core.postgresql``), else the connection's own cursor."""
    prepared = getattr(connection, "prepared_cursor", None)
    return prepared() if prepared is not None else connection.cursor()


# Stand-ins no real id or count reaches, told apart from every constant the SQL carries.
_STAND_INS = count(7_340_033_000_001)


class CompiledQuery:
    """``build(**values)`` gives the queryset; ``rows(**values)`` runs its SQL.

    ``names`` are its integer parameters (ids, counts), ``texts`` its text ones. Every
    value must reach the SQL as a parameter of its own, never folded into it by the ORM
    (compiling checks that each one did).
    """

    def __init__(self, build: Callable[..., QuerySet], *names: str, texts: tuple = ()):
        self._build = build
        self._names = (*names, *texts)
        self._texts = frozenset(texts)
        self._compiled: dict[str, dict] = {}
        self._lock = threading.Lock()

    def rows(self, using: str = "default", **values) -> list:
        compiled = self._compiled_for(using)
        rows = self._execute(compiled, using, values)
        if compiled["values_names"] is not None:
            names = compiled["values_names"]
            return [dict(zip(names, row, strict=True)) for row in rows]
        return self._instances(compiled, using, rows)

    def first(self, using: str = "default", **values):
        found = self.rows(using, **values)
        return found[0] if found else None

    def _execute(self, compiled: dict, using: str, values: dict) -> list:
        params = [
            values[compiled["positions"][position]] if position in compiled["positions"] else p
            for position, p in enumerate(compiled["params"])
        ]
        connection = connections[using]
        with prepared_cursor(connection) as cursor:
            cursor.execute(compiled["sql"], params)
            rows = cursor.fetchall()
        converters = compiled["converters"]
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in converters.items():
                for convert in functions:
                    row[position] = convert(row[position], expression, connection)
            converted.append(row)
        return converted

    @staticmethod
    def _instances(compiled: dict, using: str, rows: list) -> list:
        model, start, end = compiled["model"], compiled["start"], compiled["end"]
        populators = get_related_populators(compiled["klass_info"], compiled["select"], using)
        found = []
        for row in rows:
            instance = model.from_db(using, compiled["init_list"], row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in compiled["annotations"].items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found

    def _compiled_for(self, using: str) -> dict:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        return compiled

    def _compile(self, using: str) -> dict:
        stand_ins = {
            name: f"\x1fstand-in{next(_STAND_INS)}" if name in self._texts else next(_STAND_INS)
            for name in self._names
        }
        queryset = self._build(**stand_ins).using(using)
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in stand_ins.items()}
        positions = {
            i: by_value[p]
            for i, p in enumerate(params)
            if isinstance(p, int | str) and p in by_value
        }
        missing = set(self._names) - set(positions.values())
        if missing:
            raise ValueError(f"{sorted(missing)} did not reach the SQL as parameters")
        if connections[using].vendor == "postgresql":
            sql, params, positions = _constants_inlined(sql, params, positions, using)
        select = compiler.select
        compiled = {
            "sql": sql,
            "params": params,
            "positions": positions,
            "converters": compiler.get_converters([column for column, _, _ in select]),
            "values_names": None,
        }
        if queryset._fields is not None or compiler.klass_info is None:
            # The names ``ValuesIterable`` gives the columns, in its order.
            query = queryset.query
            compiled["values_names"] = (
                list(query.selected)
                if query.selected
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )
            return compiled
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        compiled |= {
            "model": klass_info["model"],
            "klass_info": klass_info,
            "select": select,
            "start": start,
            "end": end,
            "init_list": [column[0].target.attname for column in select[start:end]],
            "annotations": compiler.annotation_col_map,
        }
        return compiled


def _constants_inlined(sql: str, params: list, positions: dict, using: str):
    """The SQL with the queryset's own values (a status, a flag) written in as literals;
    only the named values stay parameters.

    A prepared statement is planned once for any value of its parameters, and such a
    plan cannot use a partial index whose predicate a parameter would have to match:
    ``status IN ($1, $2)`` never proves ``status IN ('waiting', 'ready')``, so the
    patron's open holds were found by walking every hold (16 ms instead of 0.1). Django's
    cursors send every value inlined anyway; the values are quoted by the driver.
    """
    connection = connections[using]
    pieces, kept, kept_positions, position = [], [], {}, 0
    for piece in re.split(r"(%%|%s)", sql):
        if piece != "%s":
            pieces.append(piece)
            continue
        value = params[position]
        if position in positions or not isinstance(value, bool | int | str):
            if position in positions:
                kept_positions[len(kept)] = positions[position]
            kept.append(value)
            pieces.append(piece)
        else:
            pieces.append(connection.ops.compose_sql("%s", [value]).replace("%", "%%"))
        position += 1
    return "".join(pieces), kept, kept_positions
