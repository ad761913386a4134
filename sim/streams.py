"""Random streams: one seed per replication, split by purpose.

Every replication owns a ``numpy.random.SeedSequence`` spawned into independent streams:
arrivals per channel, lead attributes per channel, staff, and outcomes. Outcomes are drawn
per lead from a counter-based hash (splitmix64) keyed by the lead's own key and the draw's
purpose and counter. So attempt k of lead i sees the same number under any policy (common
random numbers), whatever happened to other leads before it. A lead's key is drawn from
its channel's attribute stream, so it too is the same under every policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
TO_UNIT = 1.0 / (1 << 53)

# Purposes of per-lead draws: each gets its own counter space.
(CONNECT, ADVANCE, DURATION, PATIENCE, CYCLE, SDR_CLEAN, SDR_JUDGE, SHOW, REVIEW, RESPONSE,
 OPT_OUT, RESCORE, REPEAT, REFERRAL, ABSENCE) = range(15)


def splitmix64(value: int) -> int:
    """One step of the splitmix64 mixer: a well-spread 64-bit hash of ``value``."""
    value = (value + GOLDEN) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def lead_uniform(key: int, purpose: int, counter: int) -> float:
    """A uniform number in (0, 1) for draw ``counter`` of ``purpose`` on lead ``key``."""
    # splitmix64 of the combined key, written out here because this is the hottest call
    value = ((key ^ ((purpose << 56) | counter) * GOLDEN & MASK64) + GOLDEN) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    mixed = value ^ (value >> 31)
    # The top hash value would round up to exactly 1.0; keep it strictly inside (0, 1).
    return min(((mixed >> 11) + 0.5) * TO_UNIT, 1.0 - TO_UNIT)


def lead_exponential(key: int, purpose: int, counter: int, mean: float) -> float:
    """An exponential draw with the given mean, on the same counter scheme."""
    return -mean * math.log(lead_uniform(key, purpose, counter))


@dataclass
class Streams:
    """The generators of one replication, each owned by one purpose."""

    arrivals: dict[str, np.random.Generator]
    attributes: dict[str, np.random.Generator]
    languages: dict[str, np.random.Generator]
    staff: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int, replication: int, channels: list[str]) -> Streams:
        """Streams for replication ``replication`` of a run seeded with ``seed``.

        Channel streams are keyed by the channel's name, not its position, so adding a
        channel does not change the leads of the others.
        """
        root = np.random.SeedSequence([seed, replication])
        return cls(
            arrivals={name: _named(root, name, 1) for name in channels},
            attributes={name: _named(root, name, 2) for name in channels},
            languages={name: _named(root, name, 3) for name in channels},
            staff=np.random.default_rng(root.spawn(1)[0]),
        )


def _named(root: np.random.SeedSequence, name: str, purpose: int) -> np.random.Generator:
    """A generator for (channel name, purpose), independent of dict order and hash seeds."""
    words = [int.from_bytes(name.encode("utf-8")[i:i + 4].ljust(4, b"\0"), "little")
             for i in range(0, max(len(name.encode("utf-8")), 1), 4)]
    spawn = (*root.spawn_key, purpose, *words)
    return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=spawn))
