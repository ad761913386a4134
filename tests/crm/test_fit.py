"""The estimators of calibrate: intervals, deal sizes, the decay curve with its prior, Hill."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crm.fit import (
    DelayBins,
    Findings,
    MonthVolume,
    count_rate,
    decay_factors,
    fit_decay,
    fit_response,
    lognormal,
    share,
)
from crm.observed import DELAY_EDGES_HOURS
from crm.scenario_toml import render
from scenarios.schema import DecayCurve, Response
from scenarios.volume import response_leads_per_day

PRIOR = DecayCurve()
TRUTH = DecayCurve(fast_half_life_hours=1.5, fast_weight=0.35, slow_half_life_hours=30.0,
                   floor=0.25)
GRID_HOURS = np.array([0.05, 0.25, 1.0, 4.0, 24.0, 96.0, 240.0])
LEVEL = 0.5


def shape_of(curve: DecayCurve) -> list[float]:
    return [curve.fast_half_life_hours, curve.fast_weight, curve.slow_half_life_hours,
            curve.floor]


def gap(a: DecayCurve, b: DecayCurve) -> float:
    """Largest difference of two decay curves over delays from 3 minutes to 10 days."""
    return float(np.abs(decay_factors(shape_of(a), GRID_HOURS)
                        - decay_factors(shape_of(b), GRID_HOURS)).max())


def delay_bins(leads: int, seed: int) -> DelayBins:
    """Contacted leads with lognormal delays (median 2 h) qualifying at LEVEL x TRUTH."""
    rng = np.random.default_rng(seed)
    delay = 2.0 * np.exp(2.0 * rng.standard_normal(leads))
    qualified = rng.random(leads) < LEVEL * decay_factors(shape_of(TRUTH), delay)
    index = np.searchsorted(DELAY_EDGES_HOURS, delay, side="right") - 1
    size = len(DELAY_EDGES_HOURS)
    contacted = np.bincount(index, minlength=size).astype(float)
    hits = np.bincount(index, weights=qualified, minlength=size)
    mean = np.bincount(index, weights=delay, minlength=size) / np.maximum(contacted, 1.0)
    return DelayBins(contacted[None], hits[None], mean[None])


def test_the_truth_is_far_from_the_prior() -> None:
    assert gap(TRUTH, PRIOR) > 0.35


def test_rich_data_move_the_decay_curve_to_the_truth() -> None:
    fit = fit_decay(delay_bins(40_000, seed=2), PRIOR, "decay", ["level"])

    # Tolerance: 0.06 of decay factor anywhere from 3 minutes to 10 days (truth-prior: 0.40).
    assert gap(fit.curve, TRUTH) < 0.06
    assert fit.levels[0].estimate == pytest.approx(LEVEL, abs=0.03)
    assert fit.levels[0].ci_low < LEVEL < fit.levels[0].ci_high
    assert [e.path for e in fit.shape] == ["decay.fast_half_life_hours", "decay.fast_weight",
                                          "decay.slow_half_life_hours", "decay.floor"]
    assert all(e.ci_low < e.estimate < e.ci_high and e.n == 40_000 for e in fit.shape)


def test_thin_data_shrink_the_decay_curve_to_the_prior() -> None:
    thin = fit_decay(delay_bins(100, seed=1), PRIOR, "decay", ["level"])
    rich = fit_decay(delay_bins(40_000, seed=1), PRIOR, "decay", ["level"])

    assert gap(thin.curve, PRIOR) < 0.12
    assert gap(thin.curve, PRIOR) < gap(rich.curve, PRIOR) / 3
    widths = [e.ci_high / e.ci_low for e in thin.shape]
    assert all(w_thin > w_rich for w_thin, w_rich in
               zip(widths, [e.ci_high / e.ci_low for e in rich.shape], strict=True))


def test_the_staleness_half_life_and_switch_come_from_the_prior() -> None:
    prior = DecayCurve(staleness_half_life_days=12.0)
    fit = fit_decay(delay_bins(500, seed=3), prior, "decay", ["level"])
    assert fit.curve.staleness_half_life_days == 12.0 and fit.curve.enabled


def test_wilson_interval_of_a_share() -> None:
    estimate = share("p", 30, 100)
    assert estimate.estimate == 0.3 and estimate.n == 100
    assert estimate.ci_low == pytest.approx(0.2189, abs=1e-3)
    assert estimate.ci_high == pytest.approx(0.3958, abs=1e-3)
    assert share("p", 0, 10).ci_low == 0.0


def test_count_rate_interval_covers_the_rate() -> None:
    estimate = count_rate("r", 400, 10.0)
    assert estimate.estimate == 40.0
    assert estimate.ci_low == pytest.approx(36.1, abs=0.2)
    assert estimate.ci_high == pytest.approx(44.0, abs=0.2)


def test_lognormal_median_and_sigma_from_sums() -> None:
    rng = np.random.default_rng(5)
    values = 20_000.0 * np.exp(0.7 * rng.standard_normal(4000))
    logs = np.log(values)
    median, sigma = lognormal("deal_size", len(values), float(logs.sum()),
                              float((logs**2).sum()))
    assert median.path == "deal_size.median" and sigma.path == "deal_size.sigma"
    assert median.estimate == pytest.approx(20_000.0, rel=0.03)
    assert sigma.estimate == pytest.approx(0.7, abs=0.02)
    assert median.ci_low < median.estimate < median.ci_high


def test_hill_curve_recovered_from_months_of_varying_spend() -> None:
    truth = Response(max_leads_per_day=40.0, half_saturation_spend=100_000.0, shape=1.0)
    rng = np.random.default_rng(7)
    months = [MonthVolume(spend, int(rng.poisson(30 * response_leads_per_day(truth, spend))), 30)
              for spend in (30_000, 60_000, 90_000, 120_000, 180_000, 250_000) * 2]
    response, estimates = fit_response(months, 1.0, 60_000.0, "channels.sem.response")

    # Tolerance: 15% on both parameters with about 12 x 700 leads.
    assert response.max_leads_per_day == pytest.approx(40.0, rel=0.15)
    assert response.half_saturation_spend == pytest.approx(100_000.0, rel=0.15)
    assert [e.path.rsplit(".", 1)[1] for e in estimates] == ["max_leads_per_day",
                                                             "half_saturation_spend"]
    assert all(e.ci_low < e.estimate < e.ci_high for e in estimates)


def test_findings_keep_fitted_values_assumptions_and_comments() -> None:
    findings = Findings.empty()
    value = findings.fit(share("channels.a.regions.north", 1, 4))
    findings.assume("channels.a.quality.concentration", "the base's")
    assert value == 0.25
    assert findings.assumed == ["channels.a.quality.concentration"]
    assert findings.comments["channels.a.regions.north"][0].startswith("fitted: 0.25 [")
    assert "n = 4" in findings.comments["channels.a.regions.north"][0]


def test_toml_writer_comments_fields_and_tables() -> None:
    import tomllib

    data = {"name": "x", "ratio": 1e-7, "big": 2.5e9, "whole": 3.0, "flag": True,
            "mix": {"a b": 0.5, "c": 0.5}, "table": {"value": 1.5, "inner": {"k": "v"}},
            "rules": [{"name": "r1"}, {"name": "r2"}]}
    comments = {"table.value": ["fitted: 1.5"], "table": ["a section"], "mix": ["shares"]}
    text = render(data, comments, ["header line"])
    assert tomllib.loads(text) == {**data, "ratio": pytest.approx(1e-7)}
    assert text.startswith("# header line\n")
    assert "# shares\nmix = { \"a b\" = 0.5, c = 0.5 }" in text
    assert "# a section\n[table]\n# fitted: 1.5\nvalue = 1.5" in text
    assert text.count("[[rules]]") == 2 and "whole = 3.0" in text
    assert math.isclose(tomllib.loads(text)["big"], 2.5e9)
