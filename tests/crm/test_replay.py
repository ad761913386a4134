"""Reading a CRM export for replay: the history, its own figures, and rows the scenario lacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm.reader import CrmDataError
from crm.replay import load_history, replay_scenario
from scenarios import Scenario, load_scenario
from sim.history import MISSING

HEADER = ("lead_id,created_at,channel,business_line,region,complexity,score,first_contact_at,"
          "won_at,lost_at,deal_value\n")
ROWS = [
    "A1,2026-04-01T09:00:00,seo,software,north,low,0.8,2026-04-01T10:00:00,"
    "2026-04-11T09:00:00,,10000\n",
    "A2,2026-04-01T13:30:00+02:00,sem,services,,,,2026-04-01T16:30:00,,2026-04-05T12:00:00,\n",
    "A3,2026-03-31T22:15:00,referral,services,west,high,0.35,,2026-04-20T18:00:00,,4000\n",
    "A4,2026-04-02T08:00:00,outbound,software,south,medium,,2026-04-02T13:00:00,,,\n",
]


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario("baseline")


def write(tmp_path: Path, rows: list[str], name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_the_history_holds_the_file_sorted_from_the_first_day(tmp_path: Path,
                                                             baseline: Scenario) -> None:
    loaded = load_history(write(tmp_path, ROWS), baseline)
    history = loaded.history
    assert history.start_date == dt.date(2026, 3, 31)
    assert loaded.start == dt.datetime(2026, 3, 31)
    assert loaded.end == dt.datetime(2026, 4, 20, 18)  # the last timestamp of any stage
    assert history.hours.tolist() == [22.25, 33.0, 37.5, 56.0]  # wall clock, offset dropped
    names = list(baseline.channels)
    assert [names[c] for c in history.channel] == ["referral", "seo", "sem", "outbound"]
    assert history.business_line.tolist() == [1, 0, 1, 0]
    assert history.region.tolist() == [2, 0, MISSING, 1]
    assert history.complexity.tolist() == [2, 0, MISSING, 1]
    assert history.deal_value[0] == 4000.0 and history.deal_value[1] == 10000.0
    assert history.horizon_hours == pytest.approx(20 * 24 + 18 + 1 / 3600)
    moved = replay_scenario(baseline, history)
    assert moved.start_date == dt.date(2026, 3, 31) and moved.days == history.days == 21


def test_the_figures_of_the_history_over_the_period(tmp_path: Path, baseline: Scenario) -> None:
    document = load_history(write(tmp_path, ROWS), baseline).document(baseline)
    overall = document["kpis"]
    assert overall["leads"] == 4 and overall["won"] == 2
    assert overall["conversion_rate"] == 0.5
    assert overall["revenue"] == pytest.approx(10000 * 0.75 + 4000 * 0.4)
    assert overall["first_contact_hours_p50"] == 3.0  # delays 1, 3 and 5 hours
    assert overall["days_to_win_p50"] == pytest.approx((10 + (19 + 19.75 / 24)) / 2)
    assert document["by_channel"]["seo"]["won"] == 1
    assert document["by_channel"]["sem"]["conversion_rate"] == 0.0
    assert document["by_business_line"]["services"]["revenue"] == pytest.approx(1600.0)
    assert document["period"]["end"] == "2026-04-20T18:00:00"
    assert document["rows"] == {"read": 4, "used": 4, "skipped": 0, "problems": {},
                                "example_lines": {}}


def test_file_order_does_not_matter(tmp_path: Path, baseline: Scenario) -> None:
    forward = load_history(write(tmp_path, ROWS, "a.csv"), baseline).history
    backward = load_history(write(tmp_path, ROWS[::-1], "b.csv"), baseline).history
    for column in ("hours", "channel", "region", "complexity", "identity"):
        assert getattr(forward, column).tolist() == getattr(backward, column).tolist()


def test_a_channel_the_scenario_lacks_is_an_unknown_channel_row(tmp_path: Path,
                                                               baseline: Scenario) -> None:
    rows = [*ROWS[:2], ROWS[2].replace("referral", "tradeshow"), ROWS[3]]
    path = write(tmp_path, rows)
    loaded = load_history(path, baseline)
    assert len(loaded.history) == 3
    assert loaded.report.problems == {"unknown_channel": 1}
    assert loaded.report.examples == {"unknown_channel": [4]}
    assert loaded.document(baseline)["kpis"]["leads"] == 3
    with pytest.raises(CrmDataError) as caught:
        load_history(path, baseline, strict=True)
    assert "line 4: channel" in str(caught.value) and "'tradeshow'" in str(caught.value)


def test_business_lines_and_regions_the_scenario_lacks_are_named(tmp_path: Path,
                                                                baseline: Scenario) -> None:
    rows = [ROWS[0].replace("software", "hardware"), ROWS[1],
            ROWS[2].replace("west", "east"), ROWS[3]]
    path = write(tmp_path, rows)
    loaded = load_history(path, baseline)
    assert loaded.report.problems == {"unknown_business_line": 1, "unknown_region": 1}
    assert loaded.report.kept == 2 and loaded.report.skipped == 2
    assert dict(loaded.unknown["business_line"]) == {"hardware": 1}
    assert dict(loaded.unknown["region"]) == {"east": 1}
    assert loaded.document(baseline)["unknown_names"] == {"business_line": {"hardware": 1},
                                                          "region": {"east": 1}}
    with pytest.raises(CrmDataError) as caught:
        load_history(path, baseline, strict=True)
    message = str(caught.value)
    assert "line 2: business_line" in message and "'hardware'" in message
    assert "software, services" in message


def test_a_file_without_a_usable_row_is_an_error_that_says_why(tmp_path: Path,
                                                               baseline: Scenario) -> None:
    rows = [row.replace(",seo,", ",fax,").replace(",sem,", ",fax,")
            .replace(",referral,", ",fax,").replace(",outbound,", ",fax,") for row in ROWS]
    with pytest.raises(CrmDataError) as caught:
        load_history(write(tmp_path, rows), baseline)
    message = str(caught.value)
    assert "none of its 4 rows can be replayed on scenario 'baseline'" in message
    assert "seo, website_chat, hotline" in message and "unknown_channel" in message
    lines = [ROWS[0].replace("software", "hardware")]
    with pytest.raises(CrmDataError) as caught:
        load_history(write(tmp_path, lines, "one.csv"), baseline)
    assert "business_line: not in scenario 'baseline': 'hardware' (1 row); it has software, " \
        "services" in str(caught.value)
