"""Plot builders on plotly.graph_objects with one small shared style.

Figures carry a tiny template instead of plotly's default one (which would repeat some
kilobytes of styling in every figure), numbers rounded to four significant digits, and
long series thinned to a few hundred points, so a page with many figures stays small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from reports.formatting import axis, hover_format, plot_text

COLORS = ("#1f5f8b", "#e07b39", "#3a9a5b", "#c44e52", "#8172b2", "#937860", "#da8bc3",
          "#8c8c8c", "#ccb974", "#64b5cd")
MAX_POINTS = 400
Interval = Mapping[str, Any]

TEMPLATE = go.layout.Template(layout={
    "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
    "colorway": list(COLORS),
    "plot_bgcolor": "white",
    "paper_bgcolor": "white",
    "xaxis": {"gridcolor": "#e8e8e8", "linecolor": "#999", "automargin": True},
    "yaxis": {"gridcolor": "#e8e8e8", "linecolor": "#999", "automargin": True,
              "zerolinecolor": "#bbb"},
    "legend": {"orientation": "h", "y": -0.22},
    "margin": {"l": 60, "r": 20, "t": 48, "b": 60},
    "hoverlabel": {"namelength": -1},
})


def figure(title: str, *, height: int = 380) -> go.Figure:
    """An empty figure in the report's style."""
    return go.Figure(layout={"template": TEMPLATE, "title": {"text": plot_text(title)},
                             "height": height})


def round_sig(number: float | None, digits: int = 4) -> float | None:
    """Round to significant digits; None and non-finite numbers become None (a gap)."""
    if number is None or not math.isfinite(number):
        return None
    if number == 0:
        return 0.0
    return round(number, digits - 1 - int(math.floor(math.log10(abs(number)))))


def compact(numbers: Sequence[float | None]) -> list[float | None]:
    return [round_sig(number) for number in numbers]


def thin(x: Sequence[Any], y: Sequence[float | None], limit: int = MAX_POINTS
         ) -> tuple[list[Any], list[float | None]]:
    """Every k-th point of a long series (always keeping the last), rounded."""
    if len(x) <= limit:
        return list(x), compact(y)
    step = math.ceil(len(x) / limit)
    keep = list(range(0, len(x), step))
    if keep[-1] != len(x) - 1:
        keep.append(len(x) - 1)
    return [x[i] for i in keep], compact([y[i] for i in keep])


def error_bars(intervals: Sequence[Interval | None]) -> dict[str, Any]:
    """Asymmetric error bars from 95% intervals; missing intervals draw no bar."""
    plus: list[float | None] = []
    minus: list[float | None] = []
    for entry in intervals:
        mean, low, high = ((entry or {}).get(k) for k in ("mean", "ci_low", "ci_high"))
        if mean is None or low is None or high is None:
            plus.append(None)
            minus.append(None)
        else:
            plus.append(round_sig(max(high - mean, 0.0)))
            minus.append(round_sig(max(mean - low, 0.0)))
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
            "color": "#333", "thickness": 1.2, "width": 4}


def interval_bars(title: str, categories: Sequence[str], intervals: Sequence[Interval | None],
                  unit: str, *, value_title: str, currency: str = "",
                  category_title: str = "") -> go.Figure:
    """One bar per category at the mean, with its 95% interval."""
    fig = figure(title)
    means = [(entry or {}).get("mean") for entry in intervals]
    fig.add_trace(go.Bar(
        x=[plot_text(c) for c in categories], y=compact(means), error_y=error_bars(intervals),
        name=plot_text(value_title), marker_color=COLORS[0],
        hovertemplate=f"%{{x}}: %{{y:{hover_format(unit)}}}<extra></extra>"))
    fig.update_layout(yaxis={**axis(value_title, unit, currency), **_focus(intervals)},
                      xaxis={"title": {"text": category_title}, "type": "category"},
                      showlegend=False)
    return fig


def _focus(intervals: Sequence[Interval | None]) -> dict[str, Any]:
    """An axis range around the means when a few very wide intervals would flatten them.

    Intervals from two or three replications can be many times wider than the means; the
    range then keeps the means readable and the wide bars run off the plot.
    """
    means = [e["mean"] for e in intervals if e and e.get("mean") is not None]
    bounds = [b for e in intervals if e for b in (e.get("ci_low"), e.get("ci_high"))
              if b is not None]
    if not means or not bounds:
        return {}
    low, high = min(0.0, *means), max(0.0, *means)
    span = (high - low) or max(abs(b) for b in bounds) or 1.0
    if min(bounds) >= low - 2 * span and max(bounds) <= high + 2 * span:
        return {}
    return {"range": [low - 0.6 * span, high + 0.6 * span], "autorange": False}


def lines(title: str, x: Sequence[Any], series: Mapping[str, Sequence[float | None]],
          unit: str, *, value_title: str, currency: str = "", x_title: str = "Date",
          mode: str = "lines") -> go.Figure:
    """One line per named series over a shared x axis."""
    fig = figure(title)
    for name, values in series.items():
        xs, ys = thin(x, values)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode=mode, name=plot_text(name), connectgaps=False,
            hovertemplate=f"%{{x}}: %{{y:{hover_format(unit)}}}<extra>%{{fullData.name}}"
                          "</extra>"))
    fig.update_layout(yaxis=axis(value_title, unit, currency),
                      xaxis={"title": {"text": x_title}}, hovermode="x unified")
    return fig


def grouped_bars(title: str, categories: Sequence[str], groups: Mapping[str, Sequence[float]],
                 unit: str, *, value_title: str, currency: str = "", stacked: bool = False,
                 category_title: str = "") -> go.Figure:
    """Bars per category, one trace per group, side by side or stacked."""
    fig = figure(title)
    labels = [plot_text(c) for c in categories]
    for name, values in groups.items():
        fig.add_trace(go.Bar(x=labels, y=compact(values), name=plot_text(name),
                             hovertemplate=f"%{{x}}: %{{y:{hover_format(unit)}}}"
                                           "<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="stack" if stacked else "group",
                      yaxis=axis(value_title, unit, currency),
                      xaxis={"title": {"text": category_title}, "type": "category"})
    return fig
