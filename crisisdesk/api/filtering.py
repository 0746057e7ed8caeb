"""The API's filter backend: django-filter's, without building a FilterSet for a request that filters nothing.

django-filter builds the FilterSet, its form and every form field on each request, then cleans
the form, even when the query string names no filter (``?page_size=20``, ``?cursor=…``, an
incident's detail): about a tenth of an API list's CPU time (issue 15). With no filter named,
every filter would have been handed an empty value, and an empty value filters nothing: the
queryset comes back as it went in. So this backend returns it straight away in that case only:

* no query parameter starts with a filter's name (a range filter reads ``<name>_min``, a multi-
  widget ``<name>_0``: prefixes are matched, so such parameters still reach the FilterSet);
* no filter is ``required`` (an absent required filter is a 400, as before);
* the FilterSet overrides none of ``__init__``, ``qs`` and ``filter_queryset`` (which might
  narrow the queryset whatever the form says).

Everything else, including every invalid value, takes django-filter's path unchanged.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend


def _filters_nothing(filterset_class, query_params) -> bool:
    base = django_filters.FilterSet
    if any(getattr(filterset_class, name) is not getattr(base, name) for name in ("__init__", "qs", "filter_queryset")):
        return False
    names = filterset_class.base_filters
    if any(f.extra.get("required") for f in names.values()):
        return False
    return not any(param.startswith(name) for param in query_params for name in names)


class FilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend``, skipped when the request names none of the FilterSet's filters."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and _filters_nothing(filterset_class, request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


def view_filters_nothing(view) -> bool:
    """Whether ``view``'s filter backends hand its queryset back unchanged for this request.

    True only when every backend is ``FilterBackend`` itself and takes its shortcut (or the view has
    no FilterSet): what a view that answers without building its queryset (a detail read through
    ``crisisdesk.compiled``) must check first, so that a filter named on a detail still goes through
    django-filter (and still answers 404 or 400 as before).
    """
    for backend_class in view.filter_backends:
        if backend_class is not FilterBackend:
            return False
        filterset_class = backend_class().get_filterset_class(view, view.queryset)
        if filterset_class is not None and not _filters_nothing(filterset_class, view.request.query_params):
            return False
    return True
