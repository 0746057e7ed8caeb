"""Destructive or public actions are confirmed, also without JavaScript (issue 17).

A button that publishes, withdraws or closes carries ``data-confirm``: with JavaScript the
dialog (static/js/crisisdesk.js) adds ``confirmed=1`` to its form once accepted, so one
click and one confirmation still do it. Without JavaScript the form posts as it is; the view
sees no ``confirmed=1`` and answers ``confirmation_page()`` instead: the same question, the
posted fields carried in hidden inputs, a confirm button (which sends ``confirmed=1``) and a
cancel link. Nothing changes until the person confirms. API actions are explicit calls and
never ask.
"""

from django.template.response import TemplateResponse

CONFIRMED_FIELD = "confirmed"


def is_confirmed(request) -> bool:
    """The POST says the person already confirmed (the dialog or the confirmation page)."""
    return request.POST.get(CONFIRMED_FIELD) == "1"


def confirmation_page(
    request,
    *,
    question: str,
    confirm_label: str,
    cancel_url: str,
    fields: tuple[str, ...],
    confirm_class: str = "btn-primary",
    detail: str = "",
) -> TemplateResponse:
    """Ask ``question`` before re-posting the request's ``fields`` with ``confirmed=1`` (a 200, nothing done yet)."""
    hidden = [(name, value) for name in fields for value in request.POST.getlist(name) if name != CONFIRMED_FIELD]
    return TemplateResponse(
        request,
        "confirm_action.html",
        {
            "question": question,
            "detail": detail,
            "confirm_label": confirm_label,
            "confirm_class": confirm_class,
            "cancel_url": cancel_url,
            "action_url": request.get_full_path(),
            "hidden_fields": hidden,
        },
    )
