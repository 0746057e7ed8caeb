"""Response-target timers for templates: ``{% response_board groups as board %}`` then ``{% response_timers incident board %}``.

The dashboard computes every card's clocks at once (two queries, whatever the number of
incidents) and hands the board to each card; the war room computes one incident's.
"""

from django import template

from incidents.response import clocks

register = template.Library()


def _incidents(items):
    for item in items:
        if isinstance(item, dict) and "incidents" in item:  # the dashboard's severity groups
            yield from item["incidents"]
        else:
            yield item


@register.simple_tag
def response_board(items) -> dict:
    """Response boards keyed by incident id, for a list of incidents or of the dashboard's groups."""
    return clocks.response_boards(_incidents(items))


@register.filter
def board_for(boards: dict, incident) -> "clocks.ResponseBoard | None":
    return boards.get(incident.pk) if boards else None


@register.simple_tag
def overdue_count(boards: dict) -> int:
    return sum(1 for board in (boards or {}).values() if board.overdue)


@register.inclusion_tag("incidents/partials/response_timers.html")
def response_timers(incident, boards: dict | None = None, compact: bool = False) -> dict:
    """The incident's response targets: remaining or overdue time, or when each was met."""
    board = boards.get(incident.pk) if boards is not None else clocks.response_board(incident)
    return {"board": board, "compact": compact, "incident": incident}
