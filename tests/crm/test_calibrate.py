"""calibrate recovers a known process from a synthetic CRM export and writes a valid file.

The export (benchmarks/crm_export.py) has known arrival rates, weekday profile, mixes, deal
sizes, a known decay curve applied to qualification and known stage rates; each test states
its tolerance.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from benchmarks.crm_export import TrueChannel, Truth, write_export, write_spend
from crm.calibrate import Calibration, calibrate
from crm.fit import decay_factors
from crm.reader import CrmDataError
from leadops import api
from policies import load_policy
from scenarios import load_scenario
from scenarios.schema import DecayCurve, Scenario
from scenarios.volume import mean_leads_per_day, response_leads_per_day

BASE = load_scenario("baseline")
WEEK = (1.3, 1.2, 1.1, 1.1, 1.0, 0.2, 0.1)
LINES = {"software": 0.7, "services": 0.3}
REGIONS = {"north": 0.6, "east": 0.4}
TRUE_DECAY = DecayCurve(fast_half_life_hours=1.0, fast_weight=0.5, slow_half_life_hours=48.0,
                        floor=0.2)
TRUTH = Truth(
    channels=(
        TrueChannel("seo", 150.0, 0.5, LINES, REGIONS, weekday_profile=WEEK,
                    deal_median=22_000.0, deal_sigma=0.7),
        TrueChannel("hotline", 60.0, 0.7, {"software": 0.5, "services": 0.5}, REGIONS,
                    cost_per_lead=40.0),
        TrueChannel("sem", 80.0, 0.35, LINES, REGIONS),
    ),
    decay=TRUE_DECAY, days=120,
)
SEM_SPEND = 100_000.0
GRID_HOURS = np.array([0.05, 0.25, 1.0, 4.0, 24.0, 96.0])


def shape_of(curve: DecayCurve) -> list[float]:
    return [curve.fast_half_life_hours, curve.fast_weight, curve.slow_half_life_hours,
            curve.floor]


def reach(base: Scenario) -> float:
    """Chance of connecting within the base policy's attempts at the sales teams' mean rate."""
    sales = [t.connect_rate for t in base.teams.values() if t.role != "sdr"]
    attempts = load_policy(base.default_policy).follow_up.max_attempts
    return 1.0 - (1.0 - sum(sales) / len(sales)) ** attempts


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    write_export(folder, TRUTH, seed=11)
    months = [f"2026-{m:02d}" for m in range(1, 6)]
    write_spend(folder, [(month, "sem", SEM_SPEND) for month in months])
    return folder


@pytest.fixture(scope="module")
def fitted(export: Path) -> Calibration:
    return calibrate(export / "leads.csv", base=BASE, spend=export / "spend.csv")


def test_calendar_is_the_span_of_the_data(fitted: Calibration) -> None:
    assert fitted.scenario.start_date == TRUTH.start
    assert fitted.scenario.days == TRUTH.days
    assert sorted(fitted.scenario.channels) == ["hotline", "sem", "seo"]
    assert fitted.scenario.regions == ["east", "north"]


def test_arrival_rates_and_weekday_profile_are_recovered(fitted: Calibration) -> None:
    channels = fitted.scenario.channels
    # Tolerance: 4% on the daily rate (about 18,000 and 7,000 leads).
    assert channels["seo"].leads_per_day == pytest.approx(150.0, rel=0.04)
    assert channels["hotline"].leads_per_day == pytest.approx(60.0, rel=0.04)
    # Tolerance: 0.08 on each normalised weekday value (about 2,500 leads a weekday).
    expected = np.array(WEEK) / np.mean(WEEK)
    got = np.array(channels["seo"].weekday_profile)
    assert np.abs(got / got.mean() - expected).max() < 0.08
    hours = np.array(channels["seo"].hour_profile)
    assert hours[10] > 5 * hours[3]


def test_paid_channel_takes_its_volume_from_spend(fitted: Calibration) -> None:
    sem = fitted.scenario.channels["sem"]
    assert sem.kind == "paid" and sem.monthly_spend == pytest.approx(SEM_SPEND)
    assert sem.response is not None
    # Steady spend: the base's curve shape, scaled so the current spend buys the volume seen.
    assert sem.response.half_saturation_spend == BASE.channels["sem"].response.half_saturation_spend
    assert mean_leads_per_day(sem) == pytest.approx(80.0, rel=0.04)
    assert "channels.sem.response.half_saturation_spend" in fitted.assumed


def test_mixes_deal_sizes_and_costs_are_recovered(fitted: Calibration) -> None:
    seo, hotline = fitted.scenario.channels["seo"], fitted.scenario.channels["hotline"]
    # Tolerance: 0.02 on shares (about 18,000 leads).
    assert seo.business_lines["software"] == pytest.approx(0.7, abs=0.02)
    assert seo.regions["north"] == pytest.approx(0.6, abs=0.02)
    assert seo.complexity["high"] == pytest.approx(0.2, abs=0.02)
    # Tolerance: 8% on the median and 0.06 on sigma (several hundred won deals).
    assert seo.deal_size.median == pytest.approx(22_000.0, rel=0.08)
    assert seo.deal_size.sigma == pytest.approx(0.7, abs=0.06)
    per_month = hotline.leads_per_day * 365 / 12 * 40.0
    assert hotline.monthly_cost == pytest.approx(per_month, rel=0.05)
    assert fitted.scenario.business_lines["software"].gross_margin == 0.75


def test_decay_curve_and_quality_are_recovered(fitted: Calibration) -> None:
    pooled = fitted.scenario.decay
    gap = np.abs(decay_factors(shape_of(pooled), GRID_HOURS)
                 - decay_factors(shape_of(TRUE_DECAY), GRID_HOURS)).max()
    # Tolerance: 0.06 of decay factor at any delay from 3 minutes to 4 days.
    assert gap < 0.06
    assert fitted.scenario.channels["seo"].decay is not None  # enough data for its own
    assert fitted.scenario.channels["hotline"].decay is not None
    # Quality is the level at zero delay over the chance of ever connecting (tolerance 0.04
    # on the level).
    for name, level in (("seo", 0.5), ("hotline", 0.7), ("sem", 0.35)):
        quality = fitted.scenario.channels[name].quality.mean
        assert quality * reach(BASE) == pytest.approx(level, abs=0.04), name


def test_team_stage_rates_are_corrected_for_meetings_not_held(fitted: Calibration) -> None:
    attempts = load_policy(BASE.default_policy).follow_up.meeting_attempts
    for name in ("telesales", "field"):
        team = fitted.scenario.teams[name]
        held = 1 - (1 - BASE.teams[name].meeting_show_rate) ** attempts
        # Tolerance: 0.035 on the opportunity rate, 0.05 on the win rate.
        assert team.opportunity_rate == pytest.approx(TRUTH.opportunity_share / held, abs=0.035)
        assert team.win_rate == pytest.approx(TRUTH.won_share / held, abs=0.05)
        assert team.cycle_days.to_opportunity == pytest.approx(6.0, rel=0.12)
        assert team.headcount == BASE.teams[name].headcount
    # key_account owns no lead in the export: it gets the pooled rates.
    pooled = fitted.scenario.teams["key_account"]
    assert pooled.opportunity_rate == pytest.approx(TRUTH.opportunity_share, abs=0.035)


def test_the_file_validates_and_comments_every_fitted_value(fitted: Calibration,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "calibrated.toml"
    path.write_text(fitted.toml, encoding="utf-8")
    assert load_scenario(str(path)) == fitted.scenario
    lines = fitted.toml.splitlines()
    at = lines.index(f"leads_per_day = {fitted.scenario.channels['seo'].leads_per_day:.7g}")
    assert lines[at - 1].startswith("# fitted: 15") and "[" in lines[at - 1]
    assert "n = " in lines[at - 1] and "leads" in lines[at - 1]
    for key in ("fast_half_life_hours", "floor"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
        assert lines[at - 1].startswith("# fitted: ") and "contacted leads" in lines[at - 1]
    assert "# Assumed (taken from the base" in fitted.toml
    telesales = next(line for line in lines if line.startswith("# - teams.telesales: "))
    assert "headcount" in telesales and "win_rate" not in telesales
    assert "# conversion by grade" in fitted.toml
    fitted_paths = {e.path for e in fitted.fitted}
    assert {"channels.seo.leads_per_day", "decay.floor", "channels.seo.quality.mean",
            "teams.field.win_rate"} <= fitted_paths
    assert {"teams.telesales.headcount", "classification", "customer_success",
            "channels.seo.quality.concentration"} <= set(fitted.assumed)
    assert not fitted_paths & {"teams.telesales.headcount", "classification"}


def test_the_calibrated_scenario_simulates(fitted: Calibration, tmp_path: Path) -> None:
    path = tmp_path / "calibrated.toml"
    path.write_text(fitted.toml, encoding="utf-8")
    result = api.simulate(api.prepare(str(path)), replications=1, days=2, seed=3)
    assert result.kpis()["leads"]["mean"] > 300


def test_until_fits_only_the_leads_before_it(export: Path) -> None:
    until = dt.datetime.combine(TRUTH.start, dt.time()) + dt.timedelta(days=40)
    early = calibrate(export / "leads.csv", base=BASE, until=until)
    assert early.scenario.days == 40
    assert early.reports[0].excluded > 0 and early.reports[0].kept < early.reports[0].rows
    assert early.scenario.channels["sem"].kind == "organic"  # no spend file given
    assert early.scenario.channels["sem"].leads_per_day == pytest.approx(80.0, rel=0.06)


def test_spend_that_varies_traces_the_response_curve(tmp_path: Path) -> None:
    spends = {1: 40_000.0, 2: 80_000.0, 3: 160_000.0, 4: 60_000.0, 5: 240_000.0, 6: 120_000.0}
    curve = BASE.channels["sem"].response
    assert curve is not None
    truth_rate = 40.0
    factors = tuple(response_leads_per_day(curve, spends.get(m, 1.0)) / truth_rate
                    for m in range(1, 13))
    channel = TrueChannel("sem", truth_rate, 0.3, LINES, REGIONS, month_factor=factors)
    truth = Truth(channels=(channel,), decay=TRUE_DECAY, days=181)
    write_export(tmp_path, truth, seed=5)
    write_spend(tmp_path, [(f"2026-{m:02d}", "sem", amount) for m, amount in spends.items()])

    done = calibrate(tmp_path / "leads.csv", base=BASE, spend=tmp_path / "spend.csv")

    sem = done.scenario.channels["sem"]
    assert sem.response is not None
    # Tolerance: 20% on both Hill parameters (six months, about 5,000 leads).
    assert sem.response.max_leads_per_day == pytest.approx(curve.max_leads_per_day, rel=0.2)
    assert sem.response.half_saturation_spend == pytest.approx(curve.half_saturation_spend,
                                                               rel=0.2)
    assert sem.seasonality == [1.0] * 12 and "channels.sem.seasonality" in done.assumed
    assert "channels.sem.response.max_leads_per_day" in {e.path for e in done.fitted}


def test_activities_give_connect_rates_and_first_contacts(tmp_path: Path) -> None:
    truth = Truth(channels=(TrueChannel("seo", 60.0, 0.5, LINES, REGIONS),), decay=TRUE_DECAY,
                  days=30)
    source = write_export(tmp_path / "full", truth, seed=2)
    leads, activities = tmp_path / "leads.csv", tmp_path / "activities.csv"
    contacted = _split_first_contacts(source, leads, activities)

    done = calibrate(leads, base=BASE, activities=activities)

    assert "first contacts were taken from the first activity" in done.toml
    assert f"{contacted:,} first contacts" in done.toml
    assert done.scenario.teams["telesales"].connect_rate == pytest.approx(0.5)
    assert done.scenario.teams["field"].connect_rate == pytest.approx(0.5)
    assert "teams.telesales.connect_rate" not in done.assumed
    assert "teams.key_account.connect_rate" in done.assumed
    connect = 1 - 0.5 ** load_policy(BASE.default_policy).follow_up.max_attempts
    level = done.scenario.channels["seo"].quality.mean * connect
    assert level == pytest.approx(0.5, abs=0.06)


def _split_first_contacts(source: Path, leads: Path, activities: Path) -> int:
    """leads.csv without first_contact_at, and two calls per contacted lead (one connects)."""
    contacted = 0
    with source.open(newline="") as handle, leads.open("w", newline="") as out, \
            activities.open("w", newline="") as touches:
        rows = csv.DictReader(handle)
        columns = [c for c in rows.fieldnames or [] if c != "first_contact_at"]
        writer = csv.DictWriter(out, columns, extrasaction="ignore")
        writer.writeheader()
        calls = csv.writer(touches)
        calls.writerow(["lead_id", "at", "kind", "rep_id", "outcome"])
        for row in rows:
            writer.writerow(row)
            if row["first_contact_at"]:
                contacted += 1
                first = dt.datetime.fromisoformat(row["first_contact_at"])
                later = (first + dt.timedelta(minutes=30)).isoformat()
                calls.writerow([row["lead_id"], later, "call", row["owner_id"], "connected"])
                calls.writerow([row["lead_id"], first.isoformat(), "call", row["owner_id"],
                                "no_answer"])
    return contacted


def test_too_few_leads_in_a_channel_is_an_error(tmp_path: Path) -> None:
    truth = Truth(channels=(TrueChannel("seo", 40.0, 0.5, LINES, REGIONS),
                            TrueChannel("fax", 0.2, 0.5, LINES, REGIONS)), decay=TRUE_DECAY,
                  days=20)
    path = write_export(tmp_path, truth, seed=1)
    with pytest.raises(CrmDataError, match=r"channel 'fax' has \d lead\(s\); at least 20"):
        calibrate(path, base=BASE)


def test_a_single_day_of_data_is_an_error(tmp_path: Path) -> None:
    truth = Truth(channels=(TrueChannel("seo", 300.0, 0.5, LINES, REGIONS),), decay=TRUE_DECAY,
                  days=1)
    path = write_export(tmp_path, truth, seed=1)
    with pytest.raises(CrmDataError, match="span 1 day"):
        calibrate(path, base=BASE)
