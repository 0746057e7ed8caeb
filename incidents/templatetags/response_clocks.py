"""Response-target timers for templates: ``{% response_timers incident boards %}``.

The dashboard's view computes every card's clocks at once (``clocks.response_boards``, no query of
their own) and hands them to each card (``boards|board_for:incident``); the war room computes one
incident's.
"""

from django import template

from incidents.response import clocks

register = template.Library()


@register.filter
def board_for(boards: dict, incident) -> "clocks.ResponseBoard | None":
    return boards.get(incident.pk) if boards else None


@register.inclusion_tag("incidents/partials/response_timers.html")
def response_timers(incident, boards: dict | None = None, compact: bool = False) -> dict:
    """The incident's response targets: remaining or overdue time, or when each was met."""
    board = boards.get(incident.pk) if boards is not None else clocks.response_board(incident)
    return {"board": board, "compact": compact, "incident": incident}
