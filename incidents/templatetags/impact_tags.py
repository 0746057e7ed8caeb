"""``{% statement_impact statement as impact %}``: the measured impact for the statement page (one query).

A template tag of the incidents core, so the statements package need not import the listening one.
"""

from django import template

from incidents.impact import incident_impact_markers, statement_impact

register = template.Library()


@register.simple_tag
def impact_of(statement):
    return statement_impact(statement=statement)


@register.simple_tag
def impact_markers(incident):
    return incident_impact_markers(incident=incident)
