"""Geometry of the daily-activity chart, drawn by the template as inline SVG.

Each day gets a group with two bars (messages received and sent) and a point
of the new-leads line. Coordinates are in SVG user units of a fixed view box;
the browser scales the whole drawing to the card's width.
"""

import math
from dataclasses import dataclass
from datetime import date

from babel import dates

from cenat_hub.dashboard.schemas import DailyActivity
from cenat_hub.i18n import current_locale, gettext

WIDTH = 760
HEIGHT = 260
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 32
BAR_SHARE = 0.36  # of a day's width, for each of the two bars
Y_TICKS = 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class AxisLabel:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_bottom: float
    bars_in: list[Bar]
    bars_out: list[Bar]
    leads_points: str
    leads_dots: list[AxisLabel]
    y_labels: list[AxisLabel]
    x_labels: list[AxisLabel]
    day_count: int


def nice_step(maximum: int, ticks: int = Y_TICKS) -> int:
    """Return a round step (1, 2 or 5 times a power of ten) covering ``maximum``."""
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def _label_every(day_count: int) -> int:
    if day_count <= 10:
        return 1
    if day_count <= 31:
        return 5
    return 15


def day_label(day: date) -> str:
    """Write a day as day and month in the order of the current locale."""
    return dates.format_skeleton("ddMM", day, locale=current_locale())


def build_chart(daily: list[DailyActivity]) -> Chart:
    plot_left = MARGIN_LEFT
    plot_right = WIDTH - MARGIN_RIGHT
    plot_top = MARGIN_TOP
    plot_bottom = HEIGHT - MARGIN_BOTTOM
    peak = max(
        [max(day.messages_in, day.messages_out, day.new_leads) for day in daily] or [0]
    )
    step = nice_step(peak)
    top_value = max(step * math.ceil(peak / step), step)

    def y_of(value: int) -> float:
        return plot_bottom - (plot_bottom - plot_top) * value / top_value

    group = (plot_right - plot_left) / max(len(daily), 1)
    bar_width = group * BAR_SHARE
    bars_in, bars_out, dots, x_labels = [], [], [], []
    every = _label_every(len(daily))
    for index, day in enumerate(daily):
        left = plot_left + index * group + (group - 2 * bar_width) / 2
        label = day_label(day.date)
        bars_in.append(
            Bar(
                x=round(left, 2),
                y=round(y_of(day.messages_in), 2),
                width=round(bar_width, 2),
                height=round(plot_bottom - y_of(day.messages_in), 2),
                label=gettext("{day}: {count} received").format(
                    day=label, count=day.messages_in
                ),
            )
        )
        bars_out.append(
            Bar(
                x=round(left + bar_width, 2),
                y=round(y_of(day.messages_out), 2),
                width=round(bar_width, 2),
                height=round(plot_bottom - y_of(day.messages_out), 2),
                label=gettext("{day}: {count} sent").format(
                    day=label, count=day.messages_out
                ),
            )
        )
        center = plot_left + (index + 0.5) * group
        dots.append(
            AxisLabel(
                x=round(center, 2),
                y=round(y_of(day.new_leads), 2),
                text=gettext("{day}: {count} new leads").format(
                    day=label, count=day.new_leads
                ),
            )
        )
        if index % every == 0 or index == len(daily) - 1:
            x_labels.append(AxisLabel(x=round(center, 2), y=HEIGHT - 10, text=label))
    y_labels = [
        AxisLabel(x=plot_left - 6, y=round(y_of(value), 2), text=str(value))
        for value in range(0, top_value + 1, step)
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        bars_in=bars_in,
        bars_out=bars_out,
        leads_points=" ".join(f"{dot.x},{dot.y}" for dot in dots),
        leads_dots=dots,
        y_labels=y_labels,
        x_labels=x_labels,
        day_count=len(daily),
    )
