"""A lookup on a hot path, compiled to SQL once per database connection.

Building a statement is most of what the ORM spends on a one-row lookup by a
unique column (in a bearer-authenticated API request, more than the query
itself). :class:`PreparedLookup` builds its queryset once per connection, keeps
the SQL and what Django needs to turn a row into model instances, and after
that only runs the statement: the same rows, the same instances (related
objects of ``select_related`` included, every value through the fields' and
the backend's converters), the same database router, and the query shows in
``connection.queries`` and in query counts like any other.

The plan is kept on the connection object itself, which belongs to one thread
(or one task), so nothing is shared between threads. bench/notes.md says why
this is worth having.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

_names = itertools.count()


class _Plan:
    __slots__ = (
        "compiler",
        "converters",
        "end",
        "fields",
        "index",
        "params",
        "populators",
        "sql",
        "start",
    )

    def __init__(self, queryset: QuerySet[Any], alias: str, sentinel: str) -> None:
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        self.index = self.params.index(sentinel)
        klass_info = compiler.klass_info
        select = compiler.select
        selected = klass_info["select_fields"]
        self.start, self.end = selected[0], selected[-1] + 1
        self.fields = [column[0].target.attname for column in select[self.start : self.end]]
        self.compiler = compiler
        self.converters = compiler.get_converters([column[0] for column in select])
        self.populators = get_related_populators(klass_info, select, alias)


class PreparedLookup(Generic[M]):
    """``queryset(value)`` (one row at most, e.g. ``filter(key=value)[:1]``) as a
    statement compiled once per connection.

    ``queryset`` must use ``value`` once, as a plain parameter of the statement
    (a lookup on a text column), and take no other value that changes between
    calls.
    """

    def __init__(self, model: type[M], queryset: Callable[[str], QuerySet[M]]) -> None:
        self.model = model
        self.queryset = queryset
        self.attribute = f"_twostep_prepared_{next(_names)}"
        self.sentinel = f"\x00twostep-prepared-{self.attribute}\x00"

    def _plan(self, alias: str) -> tuple[Any, _Plan]:
        connection = connections[alias]
        plan = connection.__dict__.get(self.attribute)
        if plan is None:
            plan = _Plan(self.queryset(self.sentinel), alias, self.sentinel)
            connection.__dict__[self.attribute] = plan
        return connection, plan

    def get(self, value: str) -> M | None:
        """The instance the queryset finds for ``value``, or None."""
        alias = router.db_for_read(self.model)
        connection, plan = self._plan(alias)
        params = list(plan.params)
        params[plan.index] = value
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:
            row = next(iter(plan.compiler.apply_converters([row], plan.converters)))
        instance = self.model.from_db(alias, plan.fields, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, instance)
        return instance
