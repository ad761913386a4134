"""One replication: the cyclic garbage collector rests while the model runs, which is safe
only because a running model makes no garbage cycles; the finished model, whose objects do
refer to one another in cycles, is freed as the replication ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

import sim.replication
from leadops import api
from sim.model import LeadModel, ModelOptions
from sim.replication import run_replication

PLAYS = [("baseline", "default"), ("baseline", "pk_ranking"), ("baseline", "sdr_heavy"),
         ("baseline", "speed_first"), ("mmc", None), ("mmc_patience", None)]


@pytest.fixture
def collector_on() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.enable()
    yield
    if not enabled:
        gc.disable()


@pytest.mark.parametrize(("scenario", "policy"), PLAYS)
def test_a_replication_leaves_no_garbage_cycles(scenario: str, policy: str | None,
                                                collector_on: None) -> None:
    setup = api.prepare(scenario, policy)
    model = LeadModel(setup.scenario, setup.policy, ModelOptions(seed=5, days=45))
    gc.collect()
    gc.disable()
    model.run()
    unreachable = gc.collect()  # the model is still referenced: only garbage is counted

    assert model.tally.arrived > 500
    assert unreachable == 0


def test_the_collector_rests_during_the_run_and_is_restored(
        monkeypatch: pytest.MonkeyPatch, collector_on: None) -> None:
    seen: list[bool] = []

    class Watched:
        def __init__(self, *args: Any) -> None:
            self.model = LeadModel(*args)

        def run(self) -> None:
            seen.append(gc.isenabled())
            self.model.run()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.model, name)

    monkeypatch.setattr(sim.replication, "LeadModel", Watched)
    setup = api.prepare("mmc")
    run_replication(setup.scenario, setup.policy, ModelOptions(seed=1, days=5))
    assert seen == [False]
    assert gc.isenabled()

    gc.disable()
    run_replication(setup.scenario, setup.policy, ModelOptions(seed=1, days=5))
    assert not gc.isenabled()


def test_a_finished_replication_leaves_nothing_for_the_collector(collector_on: None) -> None:
    setup = api.prepare("baseline")
    run_replication(setup.scenario, setup.policy, ModelOptions(seed=2, days=5))  # warm up
    gc.collect()

    result = run_replication(setup.scenario, setup.policy, ModelOptions(seed=3, days=30))

    assert result.census["arrived"] > 2000
    # a model promoted past the young generation would leave ~24,000 objects here
    assert gc.collect() < 50
