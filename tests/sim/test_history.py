"""Historical arrivals: replayed exactly, attributes drawn where missing, own sources off."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sources import replayed_on_sources
from tiny import CLOSERS, SURE, channel, policy, scenario, team

from policies import Policy
from scenarios import Scenario
from sim.eventlog import read_csv_events
from sim.history import MISSING, History, HistoryBuilder, key_uniforms, lead_identity, resolve
from sim.leads import Lead
from sim.model import LeadModel, ModelOptions
from sim.replication import ReplicationResult, run_replication
from sim.runs import run_many
from sim.streams import lead_uniform

START = dt.datetime(2026, 3, 2)  # a Monday
MIXED: dict[str, Any] = {
    "regions": ["r1", "r2", "r3"],
    "channels.web.regions": {"r1": 0.7, "r2": 0.2, "r3": 0.1},
    "channels.web.complexity": {"low": 0.5, "medium": 0.3, "high": 0.2},
    "channels.web.quality": {"mean": 0.3, "concentration": 6.0},
    "channels.web.deal_size": {"median": 1000.0, "sigma": 0.5},
}


def two_channels(changes: dict[str, Any] | None = None) -> Scenario:
    """The tiny scenario with a second channel, three regions and real conversion."""
    return scenario({**MIXED, "channels.chat": channel("organic", leads_per_day=0.0),
                     "teams.sales": team(**{**CLOSERS, "connect_rate": 0.6}), **(changes or {})})


def build(rows: list[tuple[float, int, int, int, int, float | None]], *,
          last_hours: float | None = None) -> History:
    """(hours, channel, business line, region, complexity, score) rows into a history."""
    builder = HistoryBuilder()
    for number, (hours, channel_index, line, region, complexity, score) in enumerate(rows):
        builder.add(START + dt.timedelta(hours=hours), channel_index, line, region=region,
                    complexity=complexity, score=score, lead_id=f"CRM-{number}")
    last = max(r[0] for r in rows) if last_hours is None else last_hours
    return builder.build(START + dt.timedelta(hours=last))


def sample_history(count: int = 60) -> History:
    rows = []
    for number in range(count):
        hours = 2.0 + 3.7 * number + (number % 5) * 0.013
        rows.append((hours, number % 2, 0, number % 3 if number % 4 else MISSING,
                     number % 3 if number % 5 else MISSING,
                     None if number % 3 == 0 else (number % 10) / 10 + 0.05))
    return build(rows, last_hours=2.0 + 3.7 * count + 48.0)


def replay(history: History, scenario_: Scenario, policy_: Policy, tmp_path: Path | None = None,
           *, seed: int = 1, replication: int = 0) -> ReplicationResult:
    events = tmp_path / f"events-{seed}-{replication}-{policy_.name}.csv.gz" \
        if tmp_path else None
    options = ModelOptions(seed=seed, replication=replication, days=history.days,
                           events=events, history=history)
    return run_replication(scenario_, policy_, options)


def arrivals(path: Path) -> list[tuple[str, str, str, str]]:
    return [(row["time_hours"], row["channel"], row["business_line"], row["region"])
            for row in read_csv_events(path) if row["event"] == "arrived"]


# --- the history itself ---------------------------------------------------------------------


def test_the_builder_sorts_by_time_and_starts_at_the_first_day() -> None:
    history = build([(30.5, 1, 0, 0, 0, 0.4), (7.25, 0, 0, 1, 2, None), (30.5, 0, 0, 2, 1, 0.9)])
    assert history.start_date == START.date()
    assert history.hours.tolist() == [7.25, 30.5, 30.5]
    assert history.channel.tolist() == [0, 1, 0]  # ties keep the order they came in
    assert history.region.tolist() == [1, 0, 2]
    assert math.isnan(history.score[0]) and history.score[2] == 0.9
    assert history.horizon_hours == pytest.approx(30.5 + 1 / 3600)
    assert history.days == 2


def test_lead_identity_is_a_stable_digest_of_the_lead_id() -> None:
    assert lead_identity("CRM-1") == lead_identity("CRM-1")
    assert lead_identity("CRM-1") != lead_identity("CRM-2")
    assert lead_identity("CRM-1") == 13930390832621753842  # the same in every process


def test_vectorised_uniforms_equal_the_per_lead_ones() -> None:
    keys = np.array([0, 1, 12345, 2**62 + 7, 2**63 - 1], dtype=np.uint64)
    for purpose, counter in ((0, 0), (200, 3), (14, 99)):
        vector = key_uniforms(keys, purpose, counter)
        assert vector.tolist() == [lead_uniform(int(k), purpose, counter) for k in keys]


# --- attributes -------------------------------------------------------------------------------


def test_given_attributes_are_kept_and_missing_ones_drawn_from_the_channel_mix() -> None:
    count = 4000
    rows = [(float(n), 0, 0, 2 if n < 100 else MISSING, MISSING, None) for n in range(count)]
    history = build(rows)
    spec = two_channels()
    leads = resolve(history, spec, seed=3, replication=0)
    assert (leads.region[:100] == 2).all()
    drawn = leads.region[100:]
    shares = np.bincount(drawn, minlength=3) / len(drawn)
    assert shares == pytest.approx([0.7, 0.2, 0.1], abs=0.03)
    assert np.bincount(leads.complexity, minlength=3) / count == pytest.approx([0.5, 0.3, 0.2],
                                                                               abs=0.03)
    assert np.median(leads.deal_size) == pytest.approx(1000.0, rel=0.05)
    assert leads.propensity.mean() == pytest.approx(0.3, abs=0.02)  # the channel's Beta prior
    again = resolve(history, spec, seed=3, replication=0)
    assert again.region.tolist() == leads.region.tolist()
    assert again.propensity.tolist() == leads.propensity.tolist()


def test_propensity_given_a_score_follows_the_posterior_on_the_logit_scale() -> None:
    count = 3000
    rows = [(float(n), 0, 0, 0, 0, 0.9 if n % 2 else 0.1) for n in range(count)]
    history = build(rows)
    noisy = resolve(history, two_channels({"classification.score_noise": 1.0}), 1, 0)
    high, low = noisy.propensity[1::2], noisy.propensity[0::2]
    # Prior logit(p) ~ N(-1.026, 1.006) for Beta(1.8, 4.2); score noise sd 1: the posterior
    # mean of logit(p) is (m / v + logit(s)) / (1 / v + 1).
    prior_mean, prior_var = -1.02635, 1.00564
    for shares, score in ((high, 0.9), (low, 0.1)):
        expected = (prior_mean / prior_var + math.log(score / (1 - score))) / (1 / prior_var + 1)
        logits = np.log(shares / (1 - shares))
        assert logits.mean() == pytest.approx(expected, abs=0.05)
        assert logits.std() == pytest.approx(math.sqrt(1 / (1 / prior_var + 1)), rel=0.08)
    assert (noisy.score == history.score).all()  # the file's score is the lead's score
    exact = resolve(history, two_channels({"classification.score_noise": 0.0}), 1, 0)
    assert exact.propensity.tolist() == pytest.approx(history.score.tolist())


def test_keys_depend_on_the_lead_the_seed_and_the_replication_not_on_the_order() -> None:
    history = sample_history()
    spec = two_channels()
    first = resolve(history, spec, 5, 0).key
    assert len(set(first.tolist())) == len(history)
    assert resolve(history, spec, 5, 0).key.tolist() == first.tolist()
    assert not np.intersect1d(resolve(history, spec, 5, 1).key, first).size
    assert not np.intersect1d(resolve(history, spec, 6, 0).key, first).size


# --- the engine -------------------------------------------------------------------------------


class Watched(LeadModel):
    """A model that remembers every lead that arrived."""

    def arrive(self, *args: Any, **kwargs: Any) -> Lead:
        lead = super().arrive(*args, **kwargs)
        self.seen: list[Lead] = getattr(self, "seen", [])
        self.seen.append(lead)
        return lead


def test_replay_keeps_the_historical_arrivals_exactly(tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    if replayed_on_sources(request):  # Watched subclasses the model
        return
    history = sample_history()
    spec = two_channels()
    path = tmp_path / "events.csv.gz"
    model = Watched(spec, policy(), ModelOptions(seed=2, days=history.days, events=path,
                                                 history=history))
    model.run()
    rows = arrivals(path)
    leads = resolve(history, spec, 2, 0)
    assert [float(row[0]) for row in rows] == [round(h, 6) for h in history.hours.tolist()]
    assert [row[1] for row in rows] == [("web", "chat")[c] for c in history.channel]
    assert [row[2] for row in rows] == ["core"] * len(history)
    assert [row[3] for row in rows] == [spec.regions[r] for r in leads.region]
    given = history.region >= 0
    assert (leads.region[given] == history.region[given]).all()
    assert [lead.complexity for lead in model.seen] == leads.complexity.tolist()
    given = history.complexity >= 0
    assert (leads.complexity[given] == history.complexity[given]).all()
    assert [lead.key for lead in model.seen] == leads.key.tolist()
    assert model.horizon == history.horizon_hours


def test_two_policies_see_the_same_arrivals_and_the_same_seed_gives_the_same_run(
        tmp_path: Path) -> None:
    history = sample_history()
    spec = two_channels()
    prompt = policy({"follow_up.max_attempts": 3, "follow_up.spacing_hours": [4.0, 24.0]})
    slow = policy({"name": "slow", "follow_up.max_attempts": 1})
    first = replay(history, spec, prompt, tmp_path)
    other = replay(history, spec, slow, tmp_path)
    assert arrivals(tmp_path / "events-1-0-tiny.csv.gz") == \
        arrivals(tmp_path / "events-1-0-slow.csv.gz")
    assert first.kpis["leads"] == other.kpis["leads"] == len(history)
    assert first.kpis != other.kpis
    again = replay(history, spec, prompt)
    assert again.kpis == first.kpis and again.census == first.census
    for result in (first, other):
        census = result.census
        assert census["arrived"] == len(history)
        assert census["arrived"] == sum(census[p] for p in
                                        ("won", "lost", "public", "grand", "blocked", "in_work"))


def test_replications_redraw_outcomes_over_the_same_arrivals(tmp_path: Path) -> None:
    history = sample_history()
    spec = two_channels()
    results = [replay(history, spec, policy(), tmp_path, replication=r) for r in range(3)]
    logs = [tmp_path / f"events-1-{r}-tiny.csv.gz" for r in range(3)]
    times = [[row[:2] for row in arrivals(log)] for log in logs]
    assert times[0] == times[1] == times[2]
    assert len({r.kpis["won"] for r in results}) > 1 or \
        len({r.kpis["first_contact_hours_p50"] for r in results}) > 1
    assert all(r.kpis["leads"] == len(history) for r in results)


def test_referral_and_outbound_sources_are_off_in_replay() -> None:
    changes = {
        "channels.referral": channel("referral"),
        "channels.outbound": channel("outbound"),
        "customer_success.headcount": 1,
        "customer_success.referrals_per_customer_per_year": 300.0,
        "teams.sales": team(**{**CLOSERS, "connect_rate": 1.0}, outbound_share=0.3,
                            outbound_leads_per_hour=4.0),
    }
    spec = two_channels(changes)
    rows = [(1.0 + 2 * n, n % 2, 0, 0, 0, SURE) for n in range(20)]
    history = build(rows, last_hours=200.0)
    replayed = replay(history, spec, policy())
    assert replayed.kpis["leads"] == 20 and replayed.census["arrived"] == 20
    assert replayed.kpis["referral_leads"] == 0 and replayed.kpis["outbound_leads"] == 0
    assert replayed.kpis["won"] and replayed.kpis["won"] > 0  # customers were won
    simulated = run_replication(spec, policy(), ModelOptions(seed=1, days=history.days))
    assert simulated.kpis["outbound_leads"] and simulated.kpis["outbound_leads"] > 0


def test_worker_processes_give_the_serial_results() -> None:
    history = sample_history(30)
    spec = two_channels()
    serial = run_many(spec, policy(), replications=2, seed=4, days=history.days,
                      history=history)
    parallel = run_many(spec, policy(), replications=2, seed=4, days=history.days, workers=2,
                        history=history)
    assert [r.kpis for r in serial.replications] == [r.kpis for r in parallel.replications]
    assert serial.replications[0].kpis != serial.replications[1].kpis
