"""The model reduced to a textbook queue reproduces Erlang-C and Erlang-A.

The bundled ``mmc`` scenario is one Poisson channel, exponential attempts and c reps who
work around the clock; its ``mmc`` policy keeps one shared queue and makes one attempt per
lead, so the delay to first contact is the M/M/c queueing delay. ``mmc_patience`` adds
exponential patience (M/M/c+M). Each check compares the formula with a 95% t-interval over
independent replications.

Two biases are small and stated rather than hidden:

- Warm-up: every replication starts with an empty floor, so early leads wait less than in
  steady state. The queue relaxes with time constant 1 / (sqrt(c mu) - sqrt(lambda))^2, so
  the horizon average under-states the steady-state wait by at most about wait * tau / T.
  The tests assert that this bound is a small fraction of the interval's half-width.
- Censoring: the few leads still waiting at the horizon (about lambda * Wq, two or three)
  are not in the served-lead mean; they are a fraction of 1e-4 of the leads.

The seed is fixed, so every check is exact and repeatable. Measured over 40 other seeds,
each check covered the theory value in 88-98% of runs, all of them together in 70%: after a
change that reorders random draws, judge a failure by running more seeds, not by picking one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from leadops import api
from sim.calendar import HOURS_PER_DAY
from sim.queueing import erlang_a, mmc_mean_wait, mmc_prob_wait_exceeds
from sim.runs import RunResult
from sim.stats import Interval, t_interval

SEED = 1
REPLICATIONS = 10
DAYS = 120
DAYS_LIGHT_LOAD = 60

# How narrow an interval must be for a comparison to mean something, relative to theory.
MAX_RELATIVE_HALF_WIDTH = 0.2
# The warm-up bias bound must stay below this share of the half-width.
MAX_BIAS_SHARE = 0.2


@dataclass(frozen=True)
class Queue:
    """The textbook parameters read back from a prepared setup, rates per hour."""

    arrival_rate: float
    service_rate: float
    servers: int
    abandon_rate: float
    sla_hours: float


def _queue_of(setup: api.Setup) -> Queue:
    scenario, policy = setup.scenario, setup.policy
    (channel,) = scenario.channels.values()
    (team,) = scenario.teams.values()
    patience = scenario.patience
    assert team.attempt_minutes is not None
    return Queue(
        arrival_rate=(channel.leads_per_day or 0.0) / HOURS_PER_DAY,
        service_rate=60.0 / team.attempt_minutes.mean_minutes,
        servers=team.headcount,
        abandon_rate=1.0 / patience.mean_hours if patience.enabled else 0.0,
        sla_hours=policy.circulation.sla_hours,
    )


def _simulate(setup: api.Setup, days: int) -> RunResult:
    return api.simulate(setup, replications=REPLICATIONS, seed=SEED, days=days)


def _interval(run: RunResult, kpi: str) -> Interval:
    interval = t_interval(run.values(kpi))
    assert interval["n"] == REPLICATIONS, f"{kpi} is missing in some replications"
    return interval


def _half_width(interval: Interval) -> float:
    assert interval["ci_low"] is not None and interval["ci_high"] is not None
    return (interval["ci_high"] - interval["ci_low"]) / 2.0


def _assert_covers(interval: Interval, theory: float) -> None:
    assert interval["ci_low"] is not None and interval["ci_high"] is not None
    assert interval["ci_low"] <= theory <= interval["ci_high"], (
        f"theory {theory:.5f} outside the 95% interval "
        f"[{interval['ci_low']:.5f}, {interval['ci_high']:.5f}]"
    )


def _assert_informative(interval: Interval, theory: float) -> None:
    """The interval is narrow enough that covering the theory value is evidence."""
    assert _half_width(interval) < MAX_RELATIVE_HALF_WIDTH * theory


def _warm_up_bias_bound(queue: Queue, steady_wait: float, days: int) -> float:
    """Upper estimate of how much an empty start lowers the horizon-average wait."""
    gap = math.sqrt(queue.servers * queue.service_rate) - math.sqrt(queue.arrival_rate)
    relaxation_hours = 1.0 / gap**2
    return steady_wait * relaxation_hours / (days * HOURS_PER_DAY)


# Runs, each simulated once per module ---------------------------------------------------


@pytest.fixture(scope="module")
def mmc_setup() -> api.Setup:
    return api.prepare("mmc")


@pytest.fixture(scope="module")
def mmc_run(mmc_setup: api.Setup) -> RunResult:
    return _simulate(mmc_setup, DAYS)


@pytest.fixture(scope="module")
def light_setup() -> api.Setup:
    return api.prepare("mmc", None, ["teams.reps.headcount=6"])


@pytest.fixture(scope="module")
def light_run(light_setup: api.Setup) -> RunResult:
    return _simulate(light_setup, DAYS_LIGHT_LOAD)


@pytest.fixture(scope="module")
def patience_setup() -> api.Setup:
    return api.prepare("mmc_patience")


@pytest.fixture(scope="module")
def patience_run(patience_setup: api.Setup) -> RunResult:
    return _simulate(patience_setup, DAYS)


# The bundled scenarios are the textbook queues the module docstring names -------------


def test_bundled_mmc_is_four_erlangs_on_five_reps(mmc_setup: api.Setup) -> None:
    queue = _queue_of(mmc_setup)
    policy = mmc_setup.policy

    assert queue == Queue(arrival_rate=4.0, service_rate=1.0, servers=5, abandon_rate=0.0,
                          sla_hours=1.0)
    attempt = mmc_setup.scenario.teams["reps"].attempt_minutes
    assert attempt is not None and attempt.distribution == "exponential"
    assert mmc_setup.scenario.teams["reps"].calendar.always_open
    assert policy.assignment.strategy == "next_available"
    assert policy.follow_up.max_attempts == 1
    assert mmc_mean_wait(4.0, 1.0, 5) == pytest.approx(0.5541, abs=1e-4)


def test_bundled_mmc_patience_abandons_at_half_per_hour(patience_setup: api.Setup) -> None:
    queue = _queue_of(patience_setup)
    assert queue.abandon_rate == pytest.approx(0.5)
    assert queue.servers == 5 and queue.arrival_rate == pytest.approx(4.0)


# M/M/c: Erlang-C --------------------------------------------------------------------------


def test_mmc_mean_wait_matches_erlang_c(mmc_setup: api.Setup, mmc_run: RunResult) -> None:
    queue = _queue_of(mmc_setup)
    theory = mmc_mean_wait(queue.arrival_rate, queue.service_rate, queue.servers)

    interval = _interval(mmc_run, "first_contact_hours_mean")

    _assert_informative(interval, theory)
    assert _warm_up_bias_bound(queue, theory, DAYS) < MAX_BIAS_SHARE * _half_width(interval)
    _assert_covers(interval, theory)


def test_mmc_share_served_within_an_hour_matches_erlang_c_tail(
    mmc_setup: api.Setup, mmc_run: RunResult
) -> None:
    queue = _queue_of(mmc_setup)
    theory = 1.0 - mmc_prob_wait_exceeds(queue.arrival_rate, queue.service_rate,
                                         queue.servers, queue.sla_hours)

    interval = _interval(mmc_run, "sla_met_rate")

    _assert_informative(interval, theory)
    _assert_covers(interval, theory)


def test_mmc_utilisation_is_offered_load_per_rep(
    mmc_setup: api.Setup, mmc_run: RunResult
) -> None:
    queue = _queue_of(mmc_setup)
    theory = queue.arrival_rate / (queue.servers * queue.service_rate)

    interval = _interval(mmc_run, "rep_utilization")

    assert theory == pytest.approx(0.8)
    _assert_informative(interval, theory)
    _assert_covers(interval, theory)


def test_mmc_leads_arrive_at_the_poisson_rate(mmc_setup: api.Setup, mmc_run: RunResult
                                              ) -> None:
    queue = _queue_of(mmc_setup)
    _assert_covers(_interval(mmc_run, "leads"), queue.arrival_rate * DAYS * HOURS_PER_DAY)


def test_mmc_gives_every_served_lead_one_attempt(mmc_setup: api.Setup, mmc_run: RunResult
                                                 ) -> None:
    servers = _queue_of(mmc_setup).servers
    for replication in mmc_run.replications:
        kpis, census = replication.kpis, replication.census
        arrived = census["arrived"]
        contacted = round((1.0 - (kpis["never_worked_rate"] or 0.0)) * arrived)
        attempts = round((kpis["touches_per_lead"] or 0.0) * arrived)

        assert kpis["abandon_rate"] == 0.0
        assert census["won"] == census["lost"] == 0
        # No recycling: each attempted lead is parked once and nobody claims it back.
        assert kpis["claims"] == 0 and kpis["recycled_rate"] == 0.0
        assert all(key.startswith("private->") and key.endswith(":unreached")
                   for key in replication.moves)
        assert sum(replication.moves.values()) == census["public"] + census["grand"]
        # Every contacted lead has had its one attempt, except those being attempted now.
        assert 0 <= contacted - attempts <= servers
        # Only the handful queued or in service at the horizon are still in work.
        assert census["in_work"] < 40


def test_six_reps_wait_matches_erlang_c(light_setup: api.Setup, light_run: RunResult
                                        ) -> None:
    queue = _queue_of(light_setup)
    theory = mmc_mean_wait(queue.arrival_rate, queue.service_rate, queue.servers)

    interval = _interval(light_run, "first_contact_hours_mean")

    assert queue.servers == 6
    assert theory < 0.3 * mmc_mean_wait(queue.arrival_rate, queue.service_rate, 5)
    _assert_informative(interval, theory)
    bound = _warm_up_bias_bound(queue, theory, DAYS_LIGHT_LOAD)
    assert bound < MAX_BIAS_SHARE * _half_width(interval)
    _assert_covers(interval, theory)


def test_six_reps_utilisation_is_two_thirds(light_setup: api.Setup, light_run: RunResult
                                            ) -> None:
    queue = _queue_of(light_setup)
    theory = queue.arrival_rate / (queue.servers * queue.service_rate)
    interval = _interval(light_run, "rep_utilization")
    _assert_informative(interval, theory)
    _assert_covers(interval, theory)


# M/M/c+M: Erlang-A ------------------------------------------------------------------------


def test_patience_abandon_share_matches_erlang_a(
    patience_setup: api.Setup, patience_run: RunResult
) -> None:
    queue = _queue_of(patience_setup)
    theory = erlang_a(queue.arrival_rate, queue.service_rate, queue.servers,
                      queue.abandon_rate)

    interval = _interval(patience_run, "abandon_rate")

    _assert_informative(interval, theory.prob_abandon)
    _assert_covers(interval, theory.prob_abandon)


def test_patience_served_wait_matches_erlang_a(
    patience_setup: api.Setup, patience_run: RunResult
) -> None:
    queue = _queue_of(patience_setup)
    theory = erlang_a(queue.arrival_rate, queue.service_rate, queue.servers,
                      queue.abandon_rate)

    interval = _interval(patience_run, "first_contact_hours_mean")

    _assert_informative(interval, theory.mean_wait_served)
    bound = _warm_up_bias_bound(queue, theory.mean_wait_served, DAYS)
    assert bound < MAX_BIAS_SHARE * _half_width(interval)
    _assert_covers(interval, theory.mean_wait_served)


def test_patience_utilisation_matches_erlang_a(
    patience_setup: api.Setup, patience_run: RunResult
) -> None:
    queue = _queue_of(patience_setup)
    theory = erlang_a(queue.arrival_rate, queue.service_rate, queue.servers,
                      queue.abandon_rate)

    interval = _interval(patience_run, "rep_utilization")

    _assert_informative(interval, theory.utilization)
    _assert_covers(interval, theory.utilization)


def test_abandoned_leads_are_the_never_contacted_ones(patience_run: RunResult) -> None:
    for replication in patience_run.replications:
        kpis, census = replication.kpis, replication.census
        went_cold = replication.lost.get("went_cold", 0)
        never = kpis["never_worked_rate"]

        assert replication.lost == {"went_cold": went_cold}
        assert kpis["abandon_rate"] == pytest.approx(went_cold / census["arrived"])
        # Never contacted = abandoned + some of the few leads still in work at the horizon.
        assert never is not None
        never_count = round(never * census["arrived"])
        assert went_cold <= never_count <= went_cold + census["in_work"]
        assert census["in_work"] < 40
