"""The reps' work: the touch limit, kept as a ring of each lead's last touch times."""

from __future__ import annotations

import tiny
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.leads import Lead
from sim.model import LeadModel, ModelOptions
from sim.work import RING_BLOCK

WINDOW_HOURS = 24.0


def _work(limit: int) -> object:
    scenario = tiny.scenario({"experience.touch_limit": limit,
                              "experience.touch_window_days": WINDOW_HOURS / 24})
    return LeadModel(scenario, tiny.policy(), ModelOptions(seed=1, days=1)).work


def _touch(work: object, lead: Lead, now: float) -> tuple[bool, bool]:
    """What the touch path does before it asks whether the lead is over the limit."""
    previous = lead.last_touch_at
    lead.touches += 1
    lead.last_touch_at = now
    if lead.touches == 1:
        return False, False
    return work._over_limit(lead, now, previous)  # type: ignore[attr-defined, no-any-return]


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(1, 4),
       gaps=st.lists(st.lists(st.integers(0, 12), max_size=12), min_size=1, max_size=4))
def test_the_ring_agrees_with_counting_the_touches_inside_the_window(
        limit: int, gaps: list[list[int]]) -> None:
    work = _work(limit)
    leads = [Lead(index * 700, index, 0, 0.0) for index in range(len(gaps))]  # spread ids
    for lead, lead_gaps in zip(leads, gaps, strict=True):
        times: list[float] = []
        now, harassed = 0.0, False
        for gap in lead_gaps:
            now += gap
            times.append(now)
            inside = sum(1 for t in times if t > now - WINDOW_HOURS)
            over, first_time = _touch(work, lead, now)
            assert over == (inside > limit)
            assert first_time == (over and not harassed)
            harassed = harassed or over
        assert lead.harassed == harassed


def test_the_ring_grows_in_blocks_of_leads() -> None:
    work = _work(3)
    lead = Lead(5, 0, 0, 0.0)
    _touch(work, lead, 1.0)
    assert len(work.touch_ring) == 0  # type: ignore[attr-defined]  # one touch keeps nothing
    _touch(work, lead, 2.0)
    assert len(work.touch_ring) == 3 * RING_BLOCK  # type: ignore[attr-defined]
    assert list(work.touch_ring[15:18]) == [1.0, 2.0, 0.0]  # type: ignore[attr-defined]
