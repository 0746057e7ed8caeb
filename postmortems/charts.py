"""Server-side bar charts for the metrics dashboard, drawn as inline SVG by a template.

No JavaScript library, no CDN: this module turns numbers into rectangle coordinates and
``templates/postmortems/partials/bar_chart.svg.html`` prints them. Colours come from CSS
classes (``postmortems/postmortems.css``), with a print style that keeps them legible in black
and white (p90 bars hatched by a lighter fill and an outline).
"""

from dataclasses import dataclass

from postmortems.metrics import format_duration

WIDTH = 640
BAR_AREA_TOP = 16
BAR_AREA_HEIGHT = 180
LABEL_BAND = 40
LEFT = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    value: str
    label: str


@dataclass(frozen=True)
class GroupLabel:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """One chart: a title, its bars, the group labels under them, and the drawing size."""

    title: str
    width: int
    height: int
    bars: list[Bar]
    labels: list[GroupLabel]
    empty: bool


def bar_chart(title: str, groups, metric: str) -> Chart:
    """Median and p90 bars of ``metric`` for each group (a ``metrics.Group``), scaled to the largest value."""
    groups = list(groups)
    values = [v for g in groups for v in (g.stats[metric].median, g.stats[metric].p90) if v is not None]
    height = BAR_AREA_TOP + BAR_AREA_HEIGHT + LABEL_BAND
    if not values:
        return Chart(title=title, width=WIDTH, height=height, bars=[], labels=[], empty=True)
    top = max(values) or 1
    slot = (WIDTH - LEFT * 2) / max(len(groups), 1)
    bar_width = min(slot * 0.35, 48)
    bars, labels = [], []
    baseline = BAR_AREA_TOP + BAR_AREA_HEIGHT
    for index, group in enumerate(groups):
        stat = group.stats[metric]
        start = LEFT + index * slot + (slot - bar_width * 2 - 4) / 2
        for offset, (value, css, name) in enumerate(
            ((stat.median, "cd-bar-median", "median"), (stat.p90, "cd-bar-p90", "p90"))
        ):
            if value is None:
                continue
            bar_height = max(BAR_AREA_HEIGHT * value / top, 1)
            bars.append(
                Bar(
                    x=round(start + offset * (bar_width + 4), 1),
                    y=round(baseline - bar_height, 1),
                    width=round(bar_width, 1),
                    height=round(bar_height, 1),
                    css=css,
                    value=format_duration(value),
                    label=f"{group.label} · {name} {format_duration(value)}",
                )
            )
        labels.append(GroupLabel(x=round(LEFT + index * slot + slot / 2, 1), y=baseline + 16, text=str(group.label)))
    return Chart(title=title, width=WIDTH, height=height, bars=bars, labels=labels, empty=False)
