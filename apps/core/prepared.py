"""Querysets compiled to SQL once per process, for the few statements of a hot path.

Turning a queryset into SQL (joins, select_related columns, filters, annotations) costs the
ORM about as much Python as everything else a statement does; on checkout's ~12 reads it was
half the CPU of a placed order. A `PreparedQuery` is written as an ordinary queryset in which
the values that change from one run to the next are `Param`s; the first run on a connection's
vendor compiles it, later runs bind the values to that SQL and turn the rows into model
instances through the ORM's own iterator (select_related, annotations and prefetch_related as
usual). The statement is the same one the ORM would send; only its compilation is skipped.

Rules for a prepared queryset: its shape may not depend on the values (write `p.isin(...)`
for a list, never `__in=`, and no Python branches on a value); every changing value is a
`Param`, compared with `=`, `<`, `<=` … (a pattern lookup such as `__icontains` would not
wrap a bound value). On databases other than PostgreSQL (the embedded SQLite default) the
queryset is simply built with the values and run by the ORM each time.

It leans on two ORM internals, `Query.get_compiler` and `SQLCompiler.as_sql` (replaced on a
copy of the compiler for one run); tests/core/test_prepared.py checks the rows against the
ORM's and the statement count, so a Django upgrade that changes them fails there.
"""

import copy
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Expression, F, Q, QuerySet


class _Slot:
    """Where a named value goes in the compiled statement's parameters."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Param(Expression):
    """A value bound when the prepared query runs: one `%s` in the SQL."""

    def __init__(self, name: str, output_field=None) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name)]


class AnyOf(Expression):
    """`field = ANY(%s)` with a list bound at run time (PostgreSQL arrays)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, field: str, name: str) -> None:
        super().__init__()
        self.column = F(field)
        self.name = name

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{sql} = ANY(%s)", [*params, _Slot(self.name)]


class _Params:
    """What the builder receives when the statement is compiled: markers, not values."""

    def __getattr__(self, name: str) -> Param:
        return Param(name)

    def param(self, name: str, output_field) -> Param:
        return Param(name, output_field=output_field)

    def isin(self, field: str, name: str) -> AnyOf:
        return AnyOf(field, name)


class _Values:
    """What the builder receives when it simply runs (other databases): the values."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def param(self, name: str, output_field) -> Any:
        return self._values[name]

    def isin(self, field: str, name: str) -> Q:
        return Q(**{f"{field}__in": list(self._values[name])})


class PreparedQuery:
    """`build(p)` returns the queryset; `p.name` (or `p.param(name, field)`) stands for a value,
    `p.isin(field, name)` for "field in a list". `run(**values)` returns the rows as a list."""

    def __init__(self, build: Callable[[Any], QuerySet]) -> None:
        self._build = build
        self._compiled: tuple | None = None
        self._by_orm = False  # not PostgreSQL: built and run by the ORM each time

    def run(self, **values: Any) -> list:
        if self._by_orm:
            return list(self._build(_Values(values)))
        if self._compiled is None:
            queryset = self._build(_Params())
            if connections[queryset.db].vendor != "postgresql":
                self._by_orm = True
                return self.run(**values)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            self._compiled = (queryset, compiler, sql, params)
        template, compiled, sql, params = self._compiled
        bound = [values[p.name] if isinstance(p, _Slot) else p for p in params]
        compiler = copy.copy(compiled)
        compiler.connection = connections[template.db]  # this thread's connection
        compiler.as_sql = lambda *args, **kwargs: (sql, bound)
        queryset = template._chain()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)
