"""Querysets on hot paths, compiled to SQL once per database connection.

Building a statement is most of what the ORM spends on the small queries of a
login and of a bearer-authenticated request: for a one-row lookup by a unique
column it costs more than SQLite takes to run it. :class:`Prepared` builds its
queryset once per connection (and per *shape*, the part of it that settings
decide, such as the methods of ``TWOSTEP_METHODS``), keeps the SQL and what
Django needs to turn rows into model instances, and after that only runs the
statement with the new values. The results are what the ORM gives: the same
instances (``select_related`` objects and annotations included, every value
through the fields' and the backend's converters), the same database router,
and the query shows in ``connection.queries`` and in query counts like any
other.

The plans are kept on the connection object itself, which belongs to one
thread (or one task), so nothing is shared between threads. bench/notes.md
says why this is worth having, and where it is used.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections, router, transaction
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import UpdateQuery

M = TypeVar("M", bound=Model)

_names = itertools.count()
_EPOCH = datetime(1901, 1, 1, tzinfo=UTC)


def _sentinel(kind: type, position: int, name: str) -> Any:
    """A value no real parameter takes, of the kind of the one it stands for."""
    if kind is datetime:
        return _EPOCH + timedelta(microseconds=position + 1)
    if kind is int:
        # Positive and within 32 bits: inside the range of every integer column but
        # the small ones, which the checks of lookups would otherwise refuse.
        return 2_000_000_000 + position
    return f"\x00{name}-{position}\x00"


def _adapt(connection: Any, value: Any) -> Any:
    """The value as the compiler puts it among a statement's parameters."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _slots(connection: Any, params: list[Any], sentinels: Sequence[Any]) -> list[list[int]]:
    """Where each sentinel went among a compiled statement's parameters."""
    slots = []
    for sentinel in sentinels:
        adapted = _adapt(connection, sentinel)
        found = [i for i, param in enumerate(params) if param == adapted]
        if not found:
            raise ValueError("a prepared statement must use each of its values as a parameter")
        slots.append(found)
    return slots


def _bind(
    connection: Any, template: list[Any], slots: list[list[int]], values: Sequence[Any]
) -> list[Any]:
    """The statement's parameters with ``values`` in their slots."""
    params = list(template)
    for places, value in zip(slots, values, strict=True):
        adapted = _adapt(connection, value)
        for i in places:
            params[i] = adapted
    return params


class _Plan:
    """A compiled statement, where its parameters go, and how its rows become objects."""

    def __init__(self, queryset: QuerySet[Any], connection: Any, sentinels: Sequence[Any]) -> None:
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        self.slots = _slots(connection, self.params, sentinels)
        self.for_update = bool(
            queryset.query.select_for_update and connection.features.has_select_for_update
        )
        self.compiler = compiler
        select = compiler.select
        self.converters = compiler.get_converters([column[0] for column in select])
        klass_info = compiler.klass_info
        if klass_info is None:  # values_list(): rows only
            self.model_fields = None
            return
        selected = klass_info["select_fields"]
        self.start, self.end = selected[0], selected[-1] + 1
        self.model_fields = [column[0].target.attname for column in select[self.start : self.end]]
        self.annotations = dict(compiler.annotation_col_map or {})
        # Django 6.1's fetch modes: the queryset's, passed where Django passes it.
        fetch_mode = getattr(queryset, "_fetch_mode", None)
        self.from_db_options = {} if fetch_mode is None else {"fetch_mode": fetch_mode}
        self.track_peers = bool(getattr(fetch_mode, "track_peers", False))
        extra = () if fetch_mode is None else (fetch_mode,)
        self.populators = get_related_populators(klass_info, select, connection.alias, *extra)


class Prepared(Generic[M]):
    """``build(shape, *values)``, a queryset of ``model``, compiled once per connection
    and shape, then run with new values.

    ``build`` must use each value once or more as a plain parameter of the
    statement (a lookup's right-hand side: text, an integer or a datetime), and
    nothing else that changes between calls; ``shape`` (hashable) stands for what
    does change the statement, such as settings.
    """

    def __init__(
        self,
        model: type[M] | Callable[[], type[Model]],
        build: Callable[..., QuerySet[Any]],
        *,
        for_write: bool = False,
    ) -> None:
        # The model the database router is asked about (and, for first(), the
        # instances' class); a callable when it depends on settings. ``for_write``:
        # the router's database for writing, as the ORM picks for
        # select_for_update() querysets.
        self.model = model
        self.build = build
        self.for_write = for_write
        self.attribute = f"_twostep_prepared_{next(_names)}"

    def _model(self) -> type[Model]:
        return self.model if isinstance(self.model, type) else self.model()

    @staticmethod
    def preparable(values: Sequence[Any]) -> bool:
        """Whether these values can stand in a prepared statement (text, integers,
        datetimes); other kinds (a UUID primary key, say) go through the ORM."""
        return all(type(value) in (str, int, datetime) for value in values)

    def _plan(self, shape: Hashable, values: Sequence[Any]) -> tuple[str, Any, _Plan]:
        model = self._model()
        alias = router.db_for_write(model) if self.for_write else router.db_for_read(model)
        connection = connections[alias]
        plans = connection.__dict__.setdefault(self.attribute, {})
        key = (shape, tuple(type(value) for value in values))
        plan = plans.get(key)
        if plan is None:
            sentinels = [
                _sentinel(type(value), i, self.attribute) for i, value in enumerate(values)
            ]
            try:
                plan = _Plan(self.build(shape, *sentinels), connection, sentinels)
            except EmptyResultSet as error:  # a value outside its column's range
                raise ValueError("a prepared queryset's values must fit their columns") from error
            plans[key] = plan
        return alias, connection, plan

    def _run(self, connection: Any, plan: _Plan, values: Sequence[Any]) -> list[Any]:
        if plan.for_update and connection.get_autocommit():  # as the compiler checks
            raise transaction.TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = _bind(connection, plan.params, plan.slots, values)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = list(plan.compiler.apply_converters(rows, plan.converters))
        return rows

    def rows(self, shape: Hashable, *values: Any) -> list[tuple[Any, ...]]:
        """The rows of a ``values_list()`` queryset, as tuples."""
        if not self.preparable(values):
            return [tuple(row) for row in self.build(shape, *values)]
        _alias, connection, plan = self._plan(shape, values)
        return [tuple(row) for row in self._run(connection, plan, values)]

    def first(self, shape: Hashable, *values: Any) -> M | None:
        """The instance of the first row (the queryset should select one row at most,
        e.g. by a unique column and ``[:1]``), or None."""
        if not self.preparable(values):
            return next(iter(self.build(shape, *values)), None)
        alias, connection, plan = self._plan(shape, values)
        rows = self._run(connection, plan, values)
        if not rows:
            return None
        row = rows[0]
        instance = self._model().from_db(
            alias, plan.model_fields, row[plan.start : plan.end], **plan.from_db_options
        )
        if plan.track_peers:
            instance._state.peers = [weakref.ref(instance)]
        for populator in plan.populators:
            populator.populate(row, instance)
        for name, position in plan.annotations.items():
            setattr(instance, name, row[position])
        return instance


class PreparedUpdate:
    """``build(shape, *values)`` -> ``(queryset, changes)``, the conditional
    ``queryset.update(**changes)`` of a hot path, compiled once per connection and
    shape; :meth:`run` returns the number of rows changed, as ``update()`` does.

    The same rules as :class:`Prepared` for ``values`` and ``shape``; the update
    must touch one table (no multi-table inheritance, no join in the filter).
    """

    def __init__(
        self,
        model: type[Model],
        build: Callable[..., tuple[QuerySet[Any], dict[str, Any]]],
    ) -> None:
        self.model = model
        self.build = build
        self.attribute = f"_twostep_prepared_{next(_names)}"

    def _compile(self, shape: Hashable, values: Sequence[Any], connection: Any) -> tuple:
        sentinels = [_sentinel(type(value), i, self.attribute) for i, value in enumerate(values)]
        queryset, changes = self.build(shape, *sentinels)
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(changes)
        query.clear_select_clause()
        if query.related_updates or query.count_active_tables() > 1:
            raise ValueError("a prepared update must touch one table")
        sql, params = query.get_compiler(connection=connection).as_sql()
        params = list(params)
        return sql, params, _slots(connection, params, sentinels)

    def run(self, shape: Hashable, *values: Any) -> int:
        """Run the update with ``values``; the number of rows it changed."""
        if not Prepared.preparable(values):
            queryset, changes = self.build(shape, *values)
            return queryset.update(**changes)
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        plans = connection.__dict__.setdefault(self.attribute, {})
        key = (shape, tuple(type(value) for value in values))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = self._compile(shape, values, connection)
        sql, template, slots = plan
        params = _bind(connection, template, slots, values)
        with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
