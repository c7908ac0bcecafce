"""Charts drawn on the server as SVG (no script, no library): bars laid out here, drawn by the
template `console/_chart.html`, each beside a table of the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 24  # margins for the axis labels


@dataclass(frozen=True)
class Bar:
    """One bar: where it is drawn, its value and its label."""

    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    tick: bool  # whether its label is written under the axis


@dataclass(frozen=True)
class Chart:
    """A bar chart's geometry."""

    title: str
    width: int
    height: int
    bars: list[Bar]
    gridlines: list[tuple[float, int]]  # (y, value)
    baseline: float
    left: int


def nice_top(value: int) -> int:
    """A round upper bound for the axis: 1, 2, 5, 10, 20, 50…"""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return top * step
        top *= 10


def bar_chart(title: str, values: list[int], labels: list[str], every: int = 1) -> Chart:
    """Bars for `values`, labelled (one label in `every` written under the axis)."""
    top = nice_top(max(values, default=0) or 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(values), 1)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = plot_h * value / top
        bars.append(Bar(round(LEFT + i * slot + slot * 0.15, 1), round(TOP + plot_h - h, 1),
                        round(slot * 0.7, 1), round(h, 1), value, label, i % every == 0))
    grid = [(round(TOP + plot_h - plot_h * f, 1), round(top * f)) for f in (0.5, 1.0)
            if round(top * f) == top * f]
    return Chart(title, WIDTH, HEIGHT, bars, grid, TOP + plot_h, LEFT)
