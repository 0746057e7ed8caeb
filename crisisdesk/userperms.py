"""A user's permission names read with the row that brings the user, to fill Django's per-request cache.

Django's ModelBackend reads a user's own permissions, then their groups', on the first
``has_perm`` (two queries). Every way a request gets its user (the session's backend
``crisisdesk.sso.backends``, the API token, the integration key) instead annotates the query that
already reads the user with ``permission_names(...)`` and hands the result to ``remember_permissions``:
the same permissions, read at the same moment, kept only on that request's user object.
"""

from django.contrib.auth.models import Permission
from django.db.models import Func, Q, Subquery, TextField, Value
from django.db.models.functions import Concat

from crisisdesk.compiled import CompiledLookup

ANNOTATION = "_permission_names"


class _JoinedNames(Func):
    """``STRING_AGG(expr, ' ')`` (``GROUP_CONCAT`` on SQLite) as a plain function: one row, no ``GROUP BY``."""

    function = "STRING_AGG"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def permission_names(user_pk) -> Subquery:
    """``"app.codename app.codename …"``: the user's own and their groups' permissions, as ModelBackend reads them.

    ``user_pk`` is two levels out (the row, then this subquery): ``OuterRef(OuterRef("pk"))`` on the
    user's own query, ``OuterRef(OuterRef("user_id"))`` on a token's or a key's.
    """
    own = Permission.user_set.through.objects.filter(user_id=user_pk).values("permission_id")
    from_groups = Permission.group_set.through.objects.filter(group__user=user_pk).values("permission_id")
    names = (
        Permission.objects.filter(Q(pk__in=own) | Q(pk__in=from_groups))
        .order_by()
        .values(names=_JoinedNames(Concat("content_type__app_label", Value("."), "codename"), Value(" ")))
    )
    return Subquery(names, output_field=TextField())


def remember_permissions(user, row) -> None:
    """Fill ``user._perm_cache`` (what ``ModelBackend.has_perm`` reads) from ``row``'s annotation.

    Superusers (Django answers every ``has_perm`` for them) and inactive users (no permission at
    all) get nothing precomputed: Django's own answers.
    """
    names = row.__dict__.pop(ANNOTATION, None)
    if user.is_active and not user.is_superuser:
        user._perm_cache = set(names.split()) if names else set()


# Values no lookup ever takes (of the lookup's type): they mark where the real one goes in the compiled
# SQL's parameters.
_SENTINELS = {"pk": -2_147_000_001}  # inside a 32-bit integer: an out-of-range lookup compiles to nothing
_SENTINEL = "\x00crisisdesk-userperms"
_LOOKUPS: dict[str, CompiledLookup] = {}


def _user_lookup(lookup: str) -> CompiledLookup:
    """The user with ``lookup`` = ?, with their permission names: compiled once per process (crisisdesk.compiled).

    Building and compiling the permission subquery costs the ORM a few milliseconds of Python on
    every request (``manage.py profile_pages``); the statement itself never changes, only the value.
    """
    if lookup not in _LOOKUPS:
        from django.contrib.auth import get_user_model
        from django.db.models import OuterRef

        def build(value):
            return (
                get_user_model()
                ._default_manager.annotate(**{ANNOTATION: permission_names(OuterRef(OuterRef("pk")))})
                .filter(**{lookup: value})
            )

        _LOOKUPS[lookup] = CompiledLookup(build, sentinels={"value": _SENTINELS.get(lookup, _SENTINEL)})
    return _LOOKUPS[lookup]


def user_with_permissions(lookup: str, value, *, using: str = "default"):
    """The user whose ``lookup`` (``"pk"``, ``"auth_token__key"``) is ``value``, permissions remembered; or None.

    One query, the same as ``annotate(permission_names(...)).filter(...)`` (a test holds them together),
    from SQL compiled once.
    """
    user = _user_lookup(lookup).first(value=value, using=using)
    if user is not None:
        remember_permissions(user, user)
    return user
