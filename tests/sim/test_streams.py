"""Random streams: per-lead uniforms by (key, purpose, counter), channel streams by name."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.streams import (
    ADVANCE,
    CONNECT,
    DURATION,
    GOLDEN,
    MASK64,
    PATIENCE,
    SHOW,
    Streams,
    lead_exponential,
    lead_uniform,
    splitmix64,
)

PURPOSES = range(8)
KEYS = np.random.default_rng(2026).integers(0, 2**63 - 1, size=4000).tolist()


def _uniforms(purpose: int, counter: int) -> np.ndarray:
    return np.array([lead_uniform(key, purpose, counter) for key in KEYS])


# Per-lead uniforms -----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(key=st.integers(0, MASK64), purpose=st.integers(0, 7), counter=st.integers(0, 2**40))
def test_lead_uniform_lies_strictly_inside_the_unit_interval(
    key: int, purpose: int, counter: int
) -> None:
    value = lead_uniform(key, purpose, counter)
    assert 0.0 < value < 1.0
    assert math.isfinite(lead_exponential(key, purpose, counter, 2.0))


def _undo_xorshift(value: int, shift: int) -> int:
    """Inverse of ``v ^ (v >> shift)`` on 64-bit words."""
    result = value
    for _ in range(64 // shift + 1):
        result = value ^ (result >> shift)
    return result


def _unsplitmix64(value: int) -> int:
    """The input that splitmix64 maps to ``value`` (the mixer is a bijection)."""
    value = _undo_xorshift(value, 31)
    value = (value * pow(0x94D049BB133111EB, -1, 1 << 64)) & MASK64
    value = _undo_xorshift(value, 27)
    value = (value * pow(0xBF58476D1CE4E5B9, -1, 1 << 64)) & MASK64
    value = _undo_xorshift(value, 30)
    return (value - GOLDEN) & MASK64


def _lead_key_hashing_to(target: int, purpose: int) -> tuple[int, int]:
    """A lead key below 2**63 (as the model draws them) and a counter whose hash is target."""
    mixed_input = _unsplitmix64(target)
    for counter in range(64):
        key = mixed_input ^ (((purpose << 56) | counter) * GOLDEN & MASK64)
        if key < 2**63 - 1:
            return key, counter
    raise AssertionError("no counter gives a key in the model's range")


def test_unsplitmix64_inverts_the_mixer() -> None:
    for value in (0, 1, GOLDEN, MASK64, *KEYS[:20]):
        assert splitmix64(_unsplitmix64(value)) == value


@pytest.mark.parametrize("target", [0, 1 << 11, MASK64 - (1 << 11), MASK64])
def test_lead_uniform_avoids_0_and_1_at_the_extreme_hashes(target: int) -> None:
    """The largest hash must not round up to 1.0: log(1) would give a zero patience, and
    the inverse normal of a lognormal duration is undefined at 1."""
    key, counter = _lead_key_hashing_to(target, DURATION)
    value = lead_uniform(key, DURATION, counter)
    assert 0.0 < value < 1.0, value


def test_splitmix64_is_a_64_bit_hash() -> None:
    values = [splitmix64(n) for n in range(1000)]
    assert len(set(values)) == 1000
    assert all(0 <= value <= MASK64 for value in values)


def test_lead_uniform_does_not_depend_on_call_order() -> None:
    calls = [(key, purpose, counter) for key in KEYS[:50] for purpose in PURPOSES
             for counter in range(3)]
    forward = {call: lead_uniform(*call) for call in calls}
    backward = {call: lead_uniform(*call) for call in reversed(calls)}
    assert forward == backward


def test_purposes_and_counters_draw_different_numbers() -> None:
    key = KEYS[0]
    draws = {(purpose, counter): lead_uniform(key, purpose, counter)
             for purpose in PURPOSES for counter in range(64)}
    assert len(set(draws.values())) == len(draws)
    assert lead_uniform(KEYS[0], CONNECT, 1) != lead_uniform(KEYS[1], CONNECT, 1)


@pytest.mark.parametrize(("purpose", "counter"), [(CONNECT, 1), (DURATION, 0), (SHOW, 130)])
def test_lead_uniforms_are_uniform_over_leads(purpose: int, counter: int) -> None:
    sample = _uniforms(purpose, counter)
    assert stats.kstest(sample, "uniform").pvalue > 0.001
    assert abs(sample.mean() - 0.5) < 4.0 * math.sqrt(1 / 12 / sample.size)


@pytest.mark.parametrize(
    ("first", "second"),
    [((CONNECT, 1), (CONNECT, 2)), ((CONNECT, 1), (ADVANCE, 1)),
     ((DURATION, 0), (PATIENCE, 0)), ((ADVANCE, 0), (ADVANCE, 1))],
)
def test_draws_of_one_lead_are_uncorrelated(first: tuple[int, int], second: tuple[int, int]
                                            ) -> None:
    correlation = np.corrcoef(_uniforms(*first), _uniforms(*second))[0, 1]
    assert abs(correlation) < 4.0 / math.sqrt(len(KEYS))


def test_lead_exponential_has_the_asked_mean() -> None:
    sample = np.array([lead_exponential(key, PATIENCE, 0, 2.0) for key in KEYS])
    assert sample.min() > 0.0
    assert abs(sample.mean() - 2.0) < 4.0 * 2.0 / math.sqrt(sample.size)


# Generators of a replication ---------------------------------------------------------------


def _first_draws(streams: Streams) -> dict[str, list[float]]:
    draws = {f"arrivals:{name}": rng.random(4).tolist()
             for name, rng in streams.arrivals.items()}
    draws |= {f"attributes:{name}": rng.random(4).tolist()
              for name, rng in streams.attributes.items()}
    draws["staff"] = streams.staff.random(4).tolist()
    return draws


def test_same_seed_and_replication_give_the_same_streams() -> None:
    first = _first_draws(Streams.from_seed(5, 2, ["seo", "sem"]))
    second = _first_draws(Streams.from_seed(5, 2, ["seo", "sem"]))
    assert first == second


def test_channel_streams_do_not_depend_on_channel_order_or_company() -> None:
    alone = _first_draws(Streams.from_seed(5, 2, ["seo"]))
    reordered = _first_draws(Streams.from_seed(5, 2, ["events", "sem", "seo"]))
    assert alone["arrivals:seo"] == reordered["arrivals:seo"]
    assert alone["attributes:seo"] == reordered["attributes:seo"]
    assert alone["staff"] == reordered["staff"]


def test_drawing_from_one_stream_leaves_the_others_alone() -> None:
    busy = Streams.from_seed(9, 0, ["seo", "sem"])
    busy.arrivals["sem"].random(1000)
    busy.attributes["seo"].random(1000)
    quiet = Streams.from_seed(9, 0, ["seo", "sem"])
    assert busy.arrivals["seo"].random(4).tolist() == quiet.arrivals["seo"].random(4).tolist()
    assert busy.staff.random(4).tolist() == quiet.staff.random(4).tolist()


def test_every_stream_of_a_replication_is_distinct() -> None:
    names = ["seo", "sem", "a", "ab", "abcd", "abcde", "événements"]
    draws = _first_draws(Streams.from_seed(3, 0, names))
    firsts = [values[0] for values in draws.values()]
    assert len(set(firsts)) == len(firsts) == 2 * len(names) + 1


@pytest.mark.parametrize(("seed", "replication"), [(3, 1), (4, 0), (0, 3), (1, 0)])
def test_seed_and_replication_both_change_the_streams(seed: int, replication: int) -> None:
    base = _first_draws(Streams.from_seed(3, 0, ["seo"]))
    other = _first_draws(Streams.from_seed(seed, replication, ["seo"]))
    assert all(base[name] != other[name] for name in base)
