"""The lead: compact per-lead state, and how a channel draws new leads.

Per-lead state lives in one slotted object with small integers for categories, so that a
year of traffic costs little memory. Attributes are drawn in blocks from the channel's own
attribute stream, which keeps them identical under every policy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from policies.schema import Grade
from scenarios.schema import COMPLEXITIES, Channel, Scenario

if TYPE_CHECKING:  # fixed-width integers for the compiled model; plain ints in the sources
    from mypy_extensions import i16, i32, i64, u8

# Stages of the sales funnel.
NEW, CONTACTED, QUALIFIED, OPPORTUNITY, WON = range(5)
STAGE_NAMES = ("new", "contacted", "qualified", "opportunity", "won")

# Where a lead is: waiting in a queue, scheduled, worked, pooled, or finished.
WAITING_SDR, WAITING, SCHEDULED, IN_WORK, DONE_WON, DONE_LOST, POOLED = range(7)
STATE_NAMES = ("waiting_sdr", "waiting", "scheduled", "in_work", "won", "lost", "pooled")

BLOCK = 512


class Lead:
    """One lead. Category fields are indices into the scenario's name lists.

    The compiled model stores each attribute unboxed at the width its annotation gives (a
    count in 2 or 4 bytes, a category in 1 or 2, a flag in 1), grouped by width so that no
    padding falls between them: 240 bytes a lead instead of 392 with every integer at 8
    bytes. In the compiled model, storing a value out of range raises an error, and
    arithmetic on a narrow attribute keeps its width and wraps around, so readers convert it
    with ``int()`` before they compute with it (counter offsets, ring positions). The
    sources ignore the widths.
    """

    __slots__ = (
        "id", "key", "channel", "business_line", "region", "complexity", "deal_size",
        "propensity", "score", "grade", "arrived_at", "stage", "state", "team", "owner",
        "via_sdr", "first_contact_at", "last_conversation_at", "attempts", "meetings",
        "touches", "contact_rep", "contact_at", "harassed", "duplicated",
        "pool", "pool_stamp", "pooled_at", "cycles", "owners", "released_by", "released_at",
        "reactivated", "last_touch_at", "progress_at", "assigned_at",
        "protected_until", "sla_deadline", "touched_since_assigned", "messages",
        "owner_deadline", "language", "recycled", "furthest",
    )

    def __init__(self, lead_id: int, key: int, channel: int, arrived_at: float):
        # references and times: 8 bytes each
        self.grade: Grade = "D"
        self.owner: object | None = None
        self.pool: object | None = None
        self.arrived_at = arrived_at
        self.deal_size = 0.0
        self.propensity = 0.0
        self.score = 0.0
        self.first_contact_at = -1.0
        self.last_conversation_at = -1.0
        self.contact_at = 0.0
        self.pooled_at = 0.0
        self.released_at = 0.0
        self.last_touch_at = arrived_at
        self.progress_at = arrived_at
        self.assigned_at = arrived_at
        self.protected_until = 0.0
        self.sla_deadline = -1.0
        self.owner_deadline = math.inf
        self.key: i64 = key  # a 63-bit random key (the lead's counter-based draws)
        # identities and running counts: 4 bytes each
        self.id: i32 = lead_id
        self.contact_rep: i32 = -1  # uid of the rep who last contacted the lead, -1 for none
        self.released_by: i32 = -1
        self.pool_stamp: i32 = 0
        self.touches: i32 = 0
        # counts that a lead's life keeps small, and the wider categories: 2 bytes each
        self.attempts: i16 = 0
        self.meetings: i16 = 0
        self.cycles: i16 = 0
        self.owners: i16 = 0
        self.messages: i16 = 0
        self.region: i16 = 0
        self.team: i16 = -1
        # categories of at most 255 names (the scenario schema checks), stages, states: 1 byte
        self.channel: u8 = channel
        self.business_line: u8 = 0
        self.language: u8 = 0
        self.complexity: u8 = 0
        self.stage: u8 = NEW
        self.state: u8 = WAITING
        self.furthest: u8 = NEW  # the furthest stage ever reached (reactivation lowers stage)
        # flags: 1 byte each
        self.via_sdr = False
        self.harassed = False
        self.duplicated = False
        self.reactivated = False
        self.touched_since_assigned = False
        self.recycled = False


class Queued:
    """A lead's place in a heap or a queue, ordered by ``key`` and then by ``stamp``, a number
    unique within its heap, so that two places never tie and leads are never compared.

    One compiled object of 64 bytes instead of a (key, stamp, lead) tuple with a float and an
    int object of its own (about 120 bytes), and faster to compare.
    """

    __slots__ = ("key", "lead", "stamp")

    def __init__(self, key: float, stamp: int, lead: Lead):
        self.key = key
        self.stamp = stamp
        self.lead = lead

    def __lt__(self, other: Queued) -> bool:
        return self.key < other.key or (self.key == other.key and self.stamp < other.stamp)


class LeadFactory:
    """Draws the attributes of a channel's leads, block by block, from its own stream."""

    def __init__(self, scenario: Scenario, channel: Channel, rng: np.random.Generator,
                 language_rng: np.random.Generator | None = None):
        self.rng = rng
        mix = channel.languages or {scenario.languages[0]: 1.0}
        self.language_p = _mix(mix, scenario.languages)
        # Languages have their own stream, so adding them leaves every other draw alone.
        self.language_rng = language_rng if len(scenario.languages) > 1 else None
        self.languages: list[int] = []
        self.only_language = int(np.argmax(self.language_p))
        self.quality = channel.quality
        self.deal = channel.deal_size
        self.noise = scenario.classification.score_noise
        lines, regions = list(scenario.business_lines), scenario.regions
        self.line_p = _mix(channel.business_lines, lines)
        self.region_p = _mix(channel.regions, regions)
        self.complexity_p = _mix({str(k): v for k, v in channel.complexity.items()},
                                 list(COMPLEXITIES))
        self.block: list[tuple[int, int, int, int, float, float, float]] = []

    def draw(self) -> tuple[int, int, int, int, float, float, float]:
        """(key, business line, region, complexity, deal size, propensity, score)."""
        if not self.block:
            self.block = self._draw_block()
        return self.block.pop()

    def draw_language(self) -> int:
        if self.language_rng is None:
            return self.only_language
        if not self.languages:
            drawn = self.language_rng.choice(len(self.language_p), size=BLOCK, p=self.language_p)
            self.languages = drawn.tolist()[::-1]
        return self.languages.pop()

    def _draw_block(self) -> list[tuple[int, int, int, int, float, float, float]]:
        rng = self.rng
        alpha = self.quality.mean * self.quality.concentration
        beta = (1.0 - self.quality.mean) * self.quality.concentration
        keys = rng.integers(0, 2**63 - 1, size=BLOCK, dtype=np.int64)
        lines = rng.choice(len(self.line_p), size=BLOCK, p=self.line_p)
        regions = rng.choice(len(self.region_p), size=BLOCK, p=self.region_p)
        complexity = rng.choice(len(self.complexity_p), size=BLOCK, p=self.complexity_p)
        deal = self.deal.median * np.exp(self.deal.sigma * rng.standard_normal(BLOCK))
        propensity = np.clip(rng.beta(alpha, beta, size=BLOCK), 1e-6, 1 - 1e-6)
        score = _observed_score(propensity, self.noise * rng.standard_normal(BLOCK))
        rows = zip(keys.tolist(), lines.tolist(), regions.tolist(), complexity.tolist(),
                   deal.tolist(), propensity.tolist(), score.tolist(), strict=True)
        block = list(rows)
        block.reverse()
        return block


def _observed_score(propensity: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """The scoring model's view: propensity blurred by noise on the logit scale."""
    logit = np.log(propensity / (1.0 - propensity)) + noise
    score: np.ndarray = 1.0 / (1.0 + np.exp(-logit))
    return score


def refined_score(propensity: float, noise_sd: float, normal: float) -> float:
    """A score after SDR cleaning: the same blur with the SDR's smaller noise."""
    logit = math.log(propensity / (1.0 - propensity)) + noise_sd * normal
    return 1.0 / (1.0 + math.exp(-logit))


def _mix(weights: dict[str, float], names: list[str]) -> np.ndarray:
    probabilities = np.array([weights.get(name, 0.0) for name in names], dtype=float)
    normalised: np.ndarray = probabilities / probabilities.sum()
    return normalised
