"""Command-line options of leadops optimize: objectives, sweeps and ranges."""

from __future__ import annotations

import pytest

from leadops.cli import main
from leadops.errors import InputError
from optimize.plan import parse_objective, parse_sweep


def test_objectives_take_the_better_side_of_known_kpis() -> None:
    assert parse_objective("roi").direction == "maximize"
    assert parse_objective("days_to_win_p50").direction == "minimize"
    assert parse_objective("leads:min").direction == "minimize"


def test_an_objective_without_a_better_side_must_say_which() -> None:
    with pytest.raises(InputError, match="--objectives: 'leads' has no natural direction"):
        parse_objective("leads")
    with pytest.raises(InputError, match="direction must be max or min"):
        parse_objective("roi:up")


def test_a_sweep_bounds_a_kpi_from_its_better_side() -> None:
    speed = parse_sweep("days_to_win_p50=30,45")
    assert [str(bound) for bound in speed] == ["days_to_win_p50 <= 30", "days_to_win_p50 <= 45"]
    assert str(parse_sweep("sla_met_rate=0.8")[0]) == "sla_met_rate >= 0.8"


@pytest.mark.parametrize("text", ["days_to_win_p50", "days_to_win_p50=", "leads=3",
                                  "roi=a,b"])
def test_bad_sweeps_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="--sweep"):
        parse_sweep(text)


@pytest.mark.parametrize(("option", "value"), [("--replications", "4"), ("--trials", "0"),
                                               ("--select-k", "0"), ("--workers", "0"),
                                               ("--final-replications", "1")])
def test_options_out_of_range_exit_with_2(capsys: pytest.CaptureFixture[str], option: str,
                                          value: str) -> None:
    assert main(["optimize", "mmc", option, value, "-q"]) == 2
    assert f"error: {option}: must be between" in capsys.readouterr().err
