"""Figures stay small: rounded numbers, thinned series, a tiny shared template."""

from __future__ import annotations

import plotly.io as pio

from reports import charts
from reports import formatting as fmt


def test_numbers_keep_four_significant_digits() -> None:
    assert charts.compact([123456.789, 0.000123456, 0.0, None, float("inf")]) == [
        123500.0, 0.0001235, 0.0, None, None]


def test_long_series_are_thinned_keeping_both_ends() -> None:
    x = list(range(1000))

    kept_x, kept_y = charts.thin(x, [float(v) for v in x], limit=100)

    assert len(kept_x) <= 101
    assert kept_x[0] == 0 and kept_x[-1] == 999
    assert kept_y[-1] == 999.0


def test_error_bars_are_asymmetric_and_skip_missing_intervals() -> None:
    bars = charts.error_bars([{"mean": 1.0, "ci_low": 0.5, "ci_high": 2.0},
                              {"mean": 1.0, "ci_low": None, "ci_high": None}, None])

    assert bars["array"] == [1.0, None, None]
    assert bars["arrayminus"] == [0.5, None, None]


def test_a_few_huge_intervals_do_not_flatten_the_means() -> None:
    intervals = [{"mean": 0.1, "ci_low": 0.05, "ci_high": 0.15},
                 {"mean": 0.2, "ci_low": -30.0, "ci_high": 30.0}]

    fig = charts.interval_bars("t", ["a", "b"], intervals, fmt.RATE, value_title="ROI")

    low, high = fig.layout.yaxis.range
    assert -1.0 < low < 0.0 < 0.2 < high < 1.0


def test_a_figure_carries_a_small_template() -> None:
    fig = charts.lines("t", ["d1", "d2"], {"<b>x</b>": [1.0, 2.0]}, fmt.COUNT,
                       value_title="Leads")

    assert len(pio.to_json(fig, validate=False)) < 3000
    assert fig.data[0].name == "&lt;b&gt;x&lt;/b&gt;"
