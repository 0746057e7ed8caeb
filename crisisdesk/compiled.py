"""A lookup query whose SQL is compiled once per process: every request runs the same statement.

Building and compiling an ORM query costs Python on every call (for "the user with their permission
names", a few milliseconds: ``manage.py profile_pages``), more than running it. Where a hot path
runs one query whose statement never changes, only its values, ``CompiledLookup`` builds the
queryset once per database alias with a sentinel in each value's place, keeps the compiled SQL and
the compiler's column layout, and per call puts the values in their sentinels' parameters, executes
the SQL and turns the row into model instances exactly as the queryset would (``select_related``
objects and annotations included).

Only for querysets that read one model's rows (no ``values()``, no ``prefetch_related``):
``first()`` gives the first row (as ``.first()`` on a queryset ordered the same way would), ``rows()``
every row.

The compiler is kept from the first call, with the connection it was made on: what it still does per
call (the converters) reads only that connection's settings and features, which every thread's
connection to the same database shares.
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


class CompiledLookup:
    """``build(**values)`` → queryset; ``first(**values)`` runs its SQL compiled once, with the values filled in.

    ``sentinels`` maps each value's name to a value of its type that no real call passes: it marks
    where that value goes in the compiled parameters (once or several times: a user's id may appear
    in several conditions). Each must appear at least once, and no two may be equal (checked).
    """

    def __init__(self, build: Callable[..., QuerySet], *, sentinels: dict):
        if len({(type(v), v) for v in sentinels.values()}) != len(sentinels):
            raise ValueError("Every value needs a sentinel of its own.")
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[str, tuple] = {}

    def compiled(self, using: str) -> tuple:
        entry = self._compiled.get(using)
        if entry is None:
            queryset = self.build(**self.sentinels).using(using)
            if queryset._prefetch_related_lookups or queryset._iterable_class.__name__ != "ModelIterable":
                raise ValueError("CompiledLookup reads model rows only: no values(), no prefetch_related().")
            compiler = queryset.query.get_compiler(using)
            sql, params = compiler.as_sql()
            params = tuple(params)
            positions = []
            for name, sentinel in self.sentinels.items():
                if str(sentinel) in sql:  # written into the statement: no parameter to fill in
                    raise ValueError(f"The sentinel of {name!r} is in the SQL itself, not a parameter.")
                # A backend may wrap a parameter in a subclass of its type (PostgreSQL with server-side
                # binding: psycopg's Int8 for a Value in the SELECT); the value put there gets the same.
                found = [
                    (i, name, type(param) if type(param) is not type(sentinel) else None)
                    for i, param in enumerate(params)
                    if isinstance(param, type(sentinel)) and param == sentinel
                ]
                if not found:
                    raise ValueError(f"The sentinel of {name!r} is not among the compiled parameters.")
                positions.extend(found)
            # The backend's converters (dates on SQLite, JSON, decimals), as results_iter() finds them on
            # every call; composite keys are left to results_iter() itself.
            fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
            converters = None if compiler.has_composite_fields(fields) else compiler.get_converters(fields)
            klass_info = compiler.klass_info
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            entry = (
                compiler,
                sql,
                params,
                tuple(positions),
                klass_info["model"],
                (start, end),
                [column[0].target.attname for column in compiler.select[start:end]],
                get_related_populators(klass_info, compiler.select, using),
                tuple(compiler.annotation_col_map.items()),
                converters,
            )
            self._compiled[using] = entry
        return entry

    def first(self, *, using: str = "default", **values):
        """The first row's instance for these values, or None."""
        rows = self._fetch(using, values, one=True)
        return rows[0] if rows else None

    def rows(self, *, using: str = "default", **values) -> list:
        """Every row's instance for these values (slice the queryset in ``build`` to bound them)."""
        return self._fetch(using, values, one=False)

    def _fetch(self, using: str, values: dict, *, one: bool) -> list:
        compiler, sql, params, positions, model, (start, end), attnames, related, annotations, converters = (
            self.compiled(using)
        )
        if values.keys() != self.sentinels.keys():
            raise TypeError(f"Expected the values {sorted(self.sentinels)}, got {sorted(values)}.")
        params = list(params)
        for position, name, wrapper in positions:
            params[position] = values[name] if wrapper is None else wrapper(values[name])
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            if one:
                row = cursor.fetchone()
                fetched = [row] if row is not None else []
            else:
                fetched = cursor.fetchall()
        if converters is None:
            rows = compiler.results_iter(results=[fetched])
        else:
            rows = compiler.apply_converters(fetched, converters) if converters else fetched
        instances = []
        for row in rows:
            instance = model.from_db(using, attnames, row[start:end])
            for populator in related:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances
