"""The KN selection procedure on synthetic problems with known means."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from optimize.selection import kn_constant, kn_select

MEANS = (0.0, 0.5, 0.8, 0.9, 1.0)
BEST = 4


Values = Callable[[Sequence[tuple[int, int]]], list[float]]


def synthetic(seed: int, common_sd: float, own_sd: float) -> Values:
    """Values of candidate i on replication r: its mean, noise shared by every candidate on
    replication r (common random numbers) and noise of its own."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0.0, common_sd, 1000)
    own = rng.normal(0.0, own_sd, (len(MEANS), 1000))

    def values(pairs: Sequence[tuple[int, int]]) -> list[float]:
        return [MEANS[i] + shared[r] + own[i, r] for i, r in pairs]

    return values


def test_kn_picks_the_true_best_far_more_often_than_chance() -> None:
    picks = [kn_select(synthetic(seed, 2.0, 0.5), len(MEANS), first_stage=10, delta=0.1,
                       max_replications=500).chosen for seed in range(200)]

    correct = picks.count(BEST) / len(picks)
    assert correct >= 0.9  # the guarantee is 0.95; chance is 0.2


def test_common_noise_cancels_in_the_paired_differences() -> None:
    """Shared noise 20 times the gap does not stop the procedure from finding the best."""
    outcome = kn_select(synthetic(7, 20.0, 0.2), len(MEANS), first_stage=10, delta=0.1,
                        max_replications=500)

    assert outcome.chosen == BEST
    assert outcome.stopped_because == "one candidate survived"
    assert len(outcome.samples[0]) < len(outcome.samples[BEST])


def test_the_cap_stops_the_procedure_and_the_best_mean_wins() -> None:
    outcome = kn_select(synthetic(3, 0.0, 5.0), len(MEANS), first_stage=3, delta=0.01,
                        max_replications=6)

    assert "cap of 6 replications" in outcome.stopped_because
    assert max(len(s) for s in outcome.samples.values()) == 6


def test_a_single_candidate_is_chosen_after_the_first_stage() -> None:
    outcome = kn_select(lambda pairs: [1.0 for _ in pairs], 1, first_stage=3, delta=1.0)

    assert outcome.chosen == 0
    assert len(outcome.samples[0]) == 3


def test_a_candidate_with_undefined_values_is_eliminated() -> None:
    def values(pairs: Sequence[tuple[int, int]]) -> list[float]:
        return [float("nan") if i == 1 else float(r % 2) for i, r in pairs]

    outcome = kn_select(values, 2, first_stage=3, delta=0.5, max_replications=10)

    assert outcome.chosen == 0
    assert outcome.eliminated_after == {1: 3}


def test_the_constant_grows_with_candidates_and_shrinks_with_the_first_stage() -> None:
    assert kn_constant(6, 3, 0.05) == pytest.approx(98.0)
    assert kn_constant(10, 3, 0.05) > kn_constant(6, 3, 0.05)
    assert kn_constant(6, 10, 0.05) < kn_constant(6, 3, 0.05)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="first_stage >= 2"):
        kn_select(lambda pairs: [0.0 for _ in pairs], 3, first_stage=1, delta=1.0)
