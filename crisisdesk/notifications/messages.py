"""Notification texts kept as a message (msgid + parameters) so each reader gets them in their own language.

``message(gettext_noop("Statement published: %s"), [label])`` is stored on the row; ``render`` translates
it with the active language when the notification is shown. A parameter may itself be a message (an
object label such as « déclaration CD-2026-0009 “…” »); what people typed (titles) stays as it is.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext


def message(msgid: str, params=None) -> dict:
    """A translatable text: ``msgid`` marked with ``gettext_noop`` by the caller, ``params`` a dict or a list."""
    return {"message": msgid, "params": params if params is not None else {}}


def _param(value):
    """A parameter for ``%``: a nested message rendered, numbers kept for ``%d``."""
    return render(value) if isinstance(value, dict) else value


def render(value) -> str:
    """``value`` (a message, or plain text) in the active language."""
    if not (isinstance(value, dict) and "message" in value):
        return str(value)
    params = value.get("params") or {}
    text = gettext(value["message"])
    if not params:
        return text
    if isinstance(params, dict):
        return text % {key: _param(item) for key, item in params.items()}
    return text % tuple(_param(item) for item in params)


def render_in_site_language(value) -> str:
    """The text written down for readers without a language (the stored fallback, e-mails, exports)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(value)
