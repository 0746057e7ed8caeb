"""Where a request's time goes, per layer: each middleware, authentication, SQL, view code, templates,
crispy forms, DRF serialization and JSON rendering, ``reverse()`` (issue 15, docs/performance.md).

``incidents/management/commands/profile_pages.py`` drives it. Every layer is timed *exclusively*: a
stack of layers, each instant credited to the innermost one. Middleware are timed by checkpoints
interleaved with the real ones (``MIDDLEWARE`` = ``Checkpoint0, mw0, Checkpoint1, mw1, …``): from
``Checkpoint{i}`` to ``Checkpoint{i+1}`` and back is middleware ``i``'s own code (plus the SQL or
cache it does, which count as SQL). Nothing here runs unless ``install()`` is called: a dev tool.
"""

import re
import time
from collections import defaultdict
from contextlib import contextmanager
from functools import wraps

VIEW = "view code (resolving excluded)"
SQL = "SQL (database round trips)"


class Layers:
    """Exclusive time per layer name, over every request timed while active."""

    def __init__(self):
        self.totals: dict[str, float] = defaultdict(float)
        self.stack: list[str] = []
        self.last = time.perf_counter()
        self.requests = 0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.stack:
            self.totals[self.stack[-1]] += now - self.last
        self.last = now

    def push(self, name: str) -> None:
        self._tick()
        self.stack.append(name)

    def pop(self) -> None:
        self._tick()
        self.stack.pop()

    @contextmanager
    def layer(self, name: str):
        self.push(name)
        try:
            yield
        finally:
            self.pop()

    def per_request_ms(self) -> dict[str, float]:
        n = max(self.requests, 1)
        return {name: total * 1000 / n for name, total in self.totals.items()}


ACTIVE: Layers | None = None
_MIDDLEWARE: list[str] = []


def _timed(name: str, function):
    @wraps(function)
    def wrapper(*args, **kwargs):
        if ACTIVE is None:
            return function(*args, **kwargs)
        with ACTIVE.layer(name):
            return function(*args, **kwargs)

    return wrapper


def _checkpoint_class(index: int):
    name = VIEW if index >= len(_MIDDLEWARE) else "middleware " + _MIDDLEWARE[index].rsplit(".", 1)[-1]

    class Checkpoint:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            if ACTIVE is None:
                return self.get_response(request)
            with ACTIVE.layer(name):
                return self.get_response(request)

    Checkpoint.__name__ = Checkpoint.__qualname__ = f"Checkpoint{index}"
    return Checkpoint


def __getattr__(attribute: str):
    # ``settings.MIDDLEWARE`` names ``crisisdesk.profiling.Checkpoint<i>``: made on demand (PEP 562).
    match = re.fullmatch(r"Checkpoint(\d+)", attribute)
    if match is None:
        raise AttributeError(attribute)
    return _checkpoint_class(int(match.group(1)))


def instrumented_middleware(middleware: list[str]) -> list[str]:
    """``middleware`` with a checkpoint before each entry and one before the view."""
    _MIDDLEWARE[:] = middleware
    interleaved = []
    for index, path in enumerate(middleware):
        interleaved += [f"{__name__}.Checkpoint{index}", path]
    return [*interleaved, f"{__name__}.Checkpoint{len(middleware)}"]


def _patch(owner, attribute: str, name: str) -> None:
    original = getattr(owner, attribute)
    if isinstance(original, property):
        setattr(owner, attribute, property(_timed(name, original.fget)))
    else:
        setattr(owner, attribute, _timed(name, original))


_INSTALLED = False


def install() -> None:
    """Wrap the layers' entry points (once), before the first template is compiled."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from crispy_forms.templatetags import crispy_forms_filters
    from django.contrib import auth
    from django.template.base import Template
    from django.urls.resolvers import URLResolver
    from rest_framework import renderers, serializers
    from rest_framework.request import Request

    _patch(auth, "get_user", "authentication (session → user)")
    _patch(Request, "_authenticate", "authentication (DRF: token, key, session)")
    _patch(Template, "render", "template rendering")
    for filter_name in ("as_crispy_field", "crispy"):
        filters = crispy_forms_filters.register.filters
        filters[filter_name] = _timed("crispy form rendering", filters[filter_name])
    _patch(serializers.Serializer, "data", "DRF serialization")
    _patch(serializers.ListSerializer, "data", "DRF serialization")
    _patch(renderers.JSONRenderer, "render", "JSON rendering")
    _patch(URLResolver, "_reverse_with_prefix", "reverse() / {% url %}")
    _patch(URLResolver, "resolve", "URL resolving")


def sql_wrapper(execute, sql, params, many, context):
    """``connection.execute_wrapper``: the database's time is SQL, wherever the query comes from."""
    if ACTIVE is None:
        return execute(sql, params, many, context)
    with ACTIVE.layer(SQL):
        return execute(sql, params, many, context)


@contextmanager
def timing():
    """Time every request made inside; yields the ``Layers``."""
    global ACTIVE
    from django.db import connection

    ACTIVE = Layers()
    try:
        with connection.execute_wrapper(sql_wrapper):
            yield ACTIVE
    finally:
        ACTIVE = None
