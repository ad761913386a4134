"""Numbers read the same everywhere: rates as percentages, money with its currency."""

from __future__ import annotations

import pytest

from reports import formatting as fmt


@pytest.mark.parametrize(("kpi", "unit"), [
    ("conversion_rate", fmt.RATE), ("roi", fmt.RATE), ("rep_utilization", fmt.RATE),
    ("revenue", fmt.MONEY), ("campaign_cost", fmt.MONEY), ("first_contact_hours_p90", fmt.HOURS),
    ("days_to_win_p50", fmt.DAYS), ("touches_per_lead", fmt.NUMBER), ("leads", fmt.COUNT),
    ("warnings", fmt.COUNT),
])
def test_every_kpi_has_a_unit(kpi: str, unit: str) -> None:
    assert fmt.unit_of(kpi) == unit


@pytest.mark.parametrize(("number", "unit", "text"), [
    (0.1234, fmt.RATE, "12.3%"), (-0.574, fmt.RATE, "-57.4%"),
    (2_345_678.0, fmt.MONEY, "2.35 M USD"), (45_600.0, fmt.MONEY, "45.6 k USD"),
    (950.0, fmt.MONEY, "950 USD"), (4.25, fmt.HOURS, "4.2 h"), (8.44, fmt.DAYS, "8.4 d"),
    (1234.0, fmt.COUNT, "1,234"), (9.5, fmt.COUNT, "9.5"), (1.5, fmt.NUMBER, "1.50"),
    (None, fmt.RATE, "n/a"), (float("nan"), fmt.MONEY, "n/a"),
])
def test_values_are_written_in_their_unit(number: float | None, unit: str, text: str) -> None:
    assert fmt.value(number, unit, "USD") == text


def test_rate_differences_are_percentage_points() -> None:
    assert fmt.difference(0.0123, fmt.RATE) == "+1.23 pp"
    assert fmt.difference(-0.5, fmt.RATE) == "-50.00 pp"
    assert fmt.difference(-12_000.0, fmt.MONEY, "EUR") == "-12.0 k EUR"


def test_an_interval_shows_its_bounds_or_the_mean_alone() -> None:
    full = {"mean": 0.2, "ci_low": 0.1, "ci_high": 0.3, "n": 5}
    single = {"mean": 0.2, "ci_low": None, "ci_high": None, "n": 1}

    assert fmt.interval(full, fmt.RATE) == "20.0% (10.0% to 30.0%)"
    assert fmt.interval(single, fmt.RATE) == "20.0%"
    assert fmt.interval(None, fmt.RATE) == "n/a"


def test_axes_carry_their_unit() -> None:
    assert fmt.axis("Cost", fmt.MONEY, "USD")["title"]["text"] == "Cost (USD)"
    assert fmt.axis("Conversion", fmt.RATE)["tickformat"] == ".1%"
    assert fmt.axis("Delay", fmt.HOURS)["title"]["text"] == "Delay (hours)"


def test_plot_text_escapes_exactly_what_plotly_would_read_as_markup() -> None:
    assert fmt.plot_text('<a href="x">&</a>') == '&lt;a href="x"&gt;&amp;&lt;/a&gt;'
    assert fmt.escape('<b title="x">') == "&lt;b title=&quot;x&quot;&gt;"
