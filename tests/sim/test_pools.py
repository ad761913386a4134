"""Shared pools and claiming: the Pool structure on its own, then the claim rules in a model.

The first half drives :class:`sim.pools.Pool` directly: claim order by score and by
freshness, the claim delay, the ``accept`` predicate that skips without losing, lazy
skipping and compaction of stale entries, and claims from a pool of 100,000 leads that
look at a bounded number of heap entries. The second half plays tiny scenarios (see
:mod:`tiny`) in which reps claim from the public pool: the previous-owner cooldown, the
daily claim limit, the private-pool cap and what counts against it.
"""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import Any

import pytest
from sources import replayed_on_sources
from tiny import CLOSERS, NEVER, SURE, Tiny, team

from leadops import api
from sim import pools
from sim.circulation import Circulation
from sim.leads import POOLED, Lead
from sim.model import ModelOptions
from sim.pools import Pool
from sim.replication import run_replication

PUBLIC = "public:core"
LARGE = 100_000


def _pool(*, by_score: bool = True, delay_hours: float = 0.0) -> Pool:
    return Pool(PUBLIC, pools.PUBLIC, 0, claimable=True, by_score=by_score,
                delay_hours=delay_hours)


def _lead(lead_id: int, score: float = 0.5) -> Lead:
    lead = Lead(lead_id, key=lead_id, channel=0, arrived_at=0.0)
    lead.score = score
    return lead


def _take(pool: Pool, now: float, accept: Any = None) -> Lead | None:
    """Claim as the model does: pick, then take the lead out of the pool."""
    lead = pool.claim(now, accept or (lambda _: True))
    if lead is not None:
        pool.remove(lead)
    return lead


def _drain(pool: Pool, now: float) -> list[int]:
    taken = []
    while (lead := _take(pool, now)) is not None:
        taken.append(lead.id)
    return taken


# The Pool structure ------------------------------------------------------------------------


def test_add_and_remove_keep_membership_and_lead_state() -> None:
    pool, lead = _pool(), _lead(1)
    pool.add(lead, now=3.0)
    assert len(pool) == 1 and lead in pool
    assert lead.state == POOLED and lead.pooled_at == 3.0 and lead.owner is None
    pool.remove(lead)
    assert len(pool) == 0 and lead not in pool and lead.pool is None


def test_claim_order_by_score_takes_the_best_score_first() -> None:
    pool = _pool(by_score=True)
    for lead_id, score in [(1, 0.2), (2, 0.9), (3, 0.5), (4, 0.9)]:
        pool.add(_lead(lead_id, score), now=float(lead_id))
    # Equal scores go in the order the leads entered the pool.
    assert _drain(pool, now=10.0) == [2, 4, 3, 1]


def test_claim_order_by_freshness_takes_the_latest_entry_first() -> None:
    pool = _pool(by_score=False)
    for lead_id, (score, entered) in enumerate([(0.9, 1.0), (0.1, 5.0), (0.5, 3.0)]):
        pool.add(_lead(lead_id, score), now=entered)
    assert _drain(pool, now=10.0) == [1, 2, 0]


def test_a_lead_cannot_be_claimed_before_the_claim_delay_passed() -> None:
    pool = _pool(delay_hours=48.0)
    early, late = _lead(1, score=0.9), _lead(2, score=0.1)
    pool.add(early, now=0.0)
    pool.add(late, now=10.0)
    assert _take(pool, now=47.9) is None
    assert _take(pool, now=48.0) is early
    assert _take(pool, now=57.9) is None
    assert _take(pool, now=58.0) is late


def test_peek_shows_the_claim_without_consuming_it() -> None:
    pool = _pool()
    best = _lead(1, score=0.8)
    pool.add(best, now=0.0)
    pool.add(_lead(2, score=0.3), now=0.0)
    assert pool.peek_key(1.0, lambda _: True) == -0.8
    assert pool.peek_key(1.0, lambda _: True) == -0.8
    assert _take(pool, now=1.0) is best


def test_accept_skips_a_lead_without_losing_it() -> None:
    pool = _pool()
    own = _lead(1, score=0.9)  # say the claiming rep released it: cooldown
    pool.add(own, now=0.0)
    pool.add(_lead(2, score=0.4), now=0.0)
    taken = _take(pool, 1.0, accept=lambda lead: lead is not own)
    assert taken is not None and taken.id == 2
    assert _take(pool, 1.0, accept=lambda lead: lead is not own) is None
    assert len(pool) == 1
    assert _take(pool, 2.0) is own


def test_removed_leads_are_skipped() -> None:
    pool = _pool()
    leads = [_lead(i, score=i / 10) for i in range(5)]
    for lead in leads:
        pool.add(lead, now=0.0)
    pool.peek_key(0.0, lambda _: True)  # entries are on the heap now
    pool.remove(leads[4])
    pool.remove(leads[3])
    assert _drain(pool, now=1.0) == [2, 1, 0]


def test_a_lead_that_left_and_came_back_is_claimed_once_in_its_new_place() -> None:
    pool = _pool(by_score=False)
    lead, other = _lead(1), _lead(2)
    pool.add(lead, now=0.0)
    pool.add(other, now=1.0)
    pool.peek_key(1.0, lambda _: True)
    pool.remove(lead)
    pool.add(lead, now=2.0)  # re-entered: the entry stamped at 0 h is stale
    assert _drain(pool, now=3.0) == [1, 2]


def test_stale_entries_stay_under_a_quarter_of_the_members() -> None:
    pool = _pool()
    leads = [_lead(i, score=i / 2000) for i in range(2000)]
    for lead in leads:
        pool.add(lead, now=0.0)
    pool.peek_key(0.0, lambda _: True)
    for lead in leads[:600]:  # the worst scores: their stale entries sit below the best
        pool.remove(lead)
    pool.peek_key(1.0, lambda _: True)
    assert len(pool.ready) == 2000  # 600 stale: within 1400 // 4 + 256
    for lead in leads[600:610]:
        pool.remove(lead)
    pool.peek_key(1.0, lambda _: True)
    assert len(pool.ready) == 1390  # 610 stale: over 1390 // 4 + 256, compacted


def test_stale_entries_are_compacted() -> None:
    pool = _pool()
    leads = [_lead(i, score=(i % 97) / 97) for i in range(2000)]
    for lead in leads:
        pool.add(lead, now=0.0)
    pool.peek_key(0.0, lambda _: True)
    for lead in leads[:1900]:
        pool.remove(lead)
    assert len(pool.ready) == 2000
    pool.peek_key(1.0, lambda _: True)
    assert len(pool.ready) == 100
    assert sorted(_drain(pool, now=1.0)) == list(range(1900, 2000))


class _Counter:
    """Counts heap pops and pushes made by the pools module."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.pops = self.pushes = 0
        pop, push = heapq.heappop, heapq.heappush

        def counted_pop(heap: list[Any]) -> Any:
            self.pops += 1
            return pop(heap)

        def counted_push(heap: list[Any], item: Any) -> None:
            self.pushes += 1
            push(heap, item)

        monkeypatch.setattr(pools.heapq, "heappop", counted_pop)
        monkeypatch.setattr(pools.heapq, "heappush", counted_push)

    def reset(self) -> None:
        self.pops = self.pushes = 0


def _large_pool() -> tuple[Pool, list[Lead]]:
    pool = _pool()
    leads = [_lead(i, score=((i * 7919) % LARGE) / LARGE) for i in range(LARGE)]
    for index, lead in enumerate(leads):
        pool.add(lead, now=index * 1e-4)
    pool.peek_key(100.0, lambda _: True)  # every lead passed its claim delay once
    return pool, leads


def test_claiming_from_a_large_pool_does_not_scan_it(monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    pool, _ = _large_pool()
    counter, examined = _Counter(monkeypatch), []

    def accept(lead: Lead) -> bool:
        examined.append(lead.id)
        return True

    for step in range(50):
        counter.reset()
        examined.clear()
        assert _take(pool, 100.0 + step, accept) is not None
        assert counter.pops <= 2 and counter.pushes <= 1 and len(examined) == 1
    assert len(pool) == LARGE - 50


def test_claiming_past_many_refused_leads_stops_at_a_bound(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """A rep refused by the cooldown on every lead looks at a bounded number of them."""
    pool, _ = _large_pool()
    counter, examined = _Counter(monkeypatch), []

    def refuse(lead: Lead) -> bool:
        examined.append(lead.id)
        return False

    assert pool.claim(200.0, refuse) is None
    assert len(examined) <= pools.SKIP_LIMIT < 100
    assert counter.pops <= pools.SKIP_LIMIT and counter.pushes <= pools.SKIP_LIMIT
    assert len(pool) == LARGE
    assert _take(pool, 200.0) is not None  # the refused leads are all still claimable


def test_claiming_after_many_removals_looks_at_few_entries(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Stale entries are skipped at most once each, then compacted away."""
    pool, leads = _large_pool()
    best_first = sorted(leads, key=lambda lead: -lead.score)
    for lead in best_first[:60]:
        pool.remove(lead)  # the heap's 60 best entries go stale
    counter = _Counter(monkeypatch)
    assert _take(pool, 300.0) is best_first[60]
    assert counter.pops <= 61
    counter.reset()
    assert _take(pool, 300.0) is best_first[61]
    assert counter.pops == 1


# Claiming in a model -----------------------------------------------------------------------

CLAIMING = {"circulation.daily_claim_limit": 5}


def test_the_releasing_rep_cannot_claim_the_lead_back_before_the_cooldown(tmp_path: Path
                                                                          ) -> None:
    """The only rep releases l at 1 h and m at 11 h and may take each back 24 h later.

    Nothing else is claimable, so the rep is idle from 11 h; the midnight wake at 24 h finds
    both leads still cooling down (23 h and 13 h). The wakes scheduled for the ends of the
    cooldowns bring the claims at exactly 25 h and 35 h; each claimed lead is released again
    an hour later and cools down anew (until 50 h and 60 h, past the 48 h horizon).
    """
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                {**CLAIMING, "circulation.reclaim_cooldown_days": 1.0}, days=2)
    tiny.arrive(0.0, "l", score=0.9)
    tiny.arrive(10.0, "m", score=0.1)
    tiny.run()
    assert tiny.moves("l") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (25.0, PUBLIC, "private:sales-1", "claim"),
                               (26.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.moves("m") == [(11.0, "private:sales-1", PUBLIC, "unreached"),
                               (35.0, PUBLIC, "private:sales-1", "claim"),
                               (36.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.model.tally.claims == 2


def test_another_rep_may_claim_a_released_lead_at_once(tmp_path: Path) -> None:
    """The cooldown binds only the rep who released the lead.

    sales-2 is busy with p when sales-1 releases l at 1 h (sales-1 may not take l back; the
    wake at 1 h finds nobody else idle). sales-2 releases p at 1.5 h and claims l at once,
    0.5 h into l's cooldown; the wake for p then brings sales-1, idle since 1 h, to claim p.
    Both are released at 2.5 h, when one claim a day (the limit) is used up for both reps.
    """
    tiny = Tiny(tmp_path, {}, {"circulation.daily_claim_limit": 1,
                               "circulation.reclaim_cooldown_days": 1.0}, days=1)
    tiny.arrive(0.0, "l", owner="sales-1")
    tiny.arrive(0.5, "p", owner="sales-2")
    tiny.run()
    assert tiny.moves("l") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (1.5, PUBLIC, "private:sales-2", "claim"),
                               (2.5, "private:sales-2", PUBLIC, "unreached")]
    assert tiny.moves("p") == [(1.5, "private:sales-2", PUBLIC, "unreached"),
                               (1.5, PUBLIC, "private:sales-1", "claim"),
                               (2.5, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.lead("l").owners == 2
    assert tiny.model.tally.claims == 2


def test_an_idle_teammate_claims_a_lead_released_to_the_pool(tmp_path: Path) -> None:
    """sales-2 has nothing to do when sales-1 releases l: an idle rep with room claims."""
    tiny = Tiny(tmp_path, {}, {**CLAIMING, "circulation.reclaim_cooldown_days": 1.0}, days=1)
    tiny.arrive(0.0, "l", owner="sales-1")
    tiny.run()
    assert tiny.moves("l")[:2] == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                                   (1.0, PUBLIC, "private:sales-2", "claim")]


def test_a_lead_is_claimable_once_its_claim_delay_passed(tmp_path: Path) -> None:
    """One rep, a 5 h claim delay, no cooldown, five claims a day; every lead enters the
    pool an hour after it is picked up, and a lead is claimable from entry + 5 h.

    l enters at 1 h; at 4 h (m released) the rep finds l still cooling and goes idle; l is
    claimed at 6 h, the moment its delay passes, and re-enters at 7 h. m (entered at 4 h) is
    claimed at 9 h right after n is released: exactly 5 h, so the bound is inclusive; n is
    not claimable then. m re-enters at 10 h; the rep, idle, claims l at 12 h and n at 14 h;
    releasing n at 15 h it claims m (entered at 10 h). That is the fifth claim of the day:
    the wakes at 18 h, 20 h and 21 h find the allowance used up.
    """
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                {**CLAIMING, "circulation.claim_delay_hours": 5.0}, days=1)
    tiny.arrive(0.0, "l", score=0.9)
    tiny.arrive(3.0, "m", score=0.1)
    tiny.arrive(8.0, "n", score=0.5)
    tiny.run()
    claims = [(time, lead) for lead in "lmn" for time, _, _, rule in tiny.moves(lead)
              if rule == "claim"]
    assert sorted(claims) == [(6.0, "l"), (9.0, "m"), (12.0, "l"), (14.0, "n"), (15.0, "m")]
    assert tiny.model.tally.claims == 5


def test_an_idle_rep_claims_a_lead_when_its_claim_delay_passes(tmp_path: Path) -> None:
    """The only rep is idle from 1 h; l, released at 1 h, becomes claimable at 6 h.

    Nothing else happens, so each claim comes from the wake scheduled for the end of the
    delay: claimed at 6 h, 12 h and 18 h, released an hour later each time; the wake due at
    24 h falls on the horizon.
    """
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                {**CLAIMING, "circulation.claim_delay_hours": 5.0}, days=1)
    tiny.arrive(0.0, "l")
    tiny.run()
    assert tiny.moves("l") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (6.0, PUBLIC, "private:sales-1", "claim"),
                               (7.0, "private:sales-1", PUBLIC, "unreached"),
                               (12.0, PUBLIC, "private:sales-1", "claim"),
                               (13.0, "private:sales-1", PUBLIC, "unreached"),
                               (18.0, PUBLIC, "private:sales-1", "claim"),
                               (19.0, "private:sales-1", PUBLIC, "unreached")]


def test_the_end_of_a_claim_delay_wakes_an_idle_rep_who_may_take_the_lead(tmp_path: Path
                                                                           ) -> None:
    """Both reps release a lead at 1 h and go idle (sales-1 first); 2.5 h of claim delay.

    At 3.5 h l becomes claimable: sales-1, first in the idle list, released it and is in
    its cooldown, so the wake goes to sales-2, who claims l that instant. p becomes
    claimable in the same instant and wakes sales-1, who claims it. One claim a day each.
    """
    tiny = Tiny(tmp_path, {}, {"circulation.daily_claim_limit": 1,
                               "circulation.reclaim_cooldown_days": 1.0,
                               "circulation.claim_delay_hours": 2.5}, days=1)
    tiny.arrive(0.0, "l", owner="sales-1")
    tiny.arrive(0.0, "p", owner="sales-2")
    tiny.run()
    assert tiny.moves("l") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (3.5, PUBLIC, "private:sales-2", "claim"),
                               (4.5, "private:sales-2", PUBLIC, "unreached")]
    assert tiny.moves("p") == [(1.0, "private:sales-2", PUBLIC, "unreached"),
                               (3.5, PUBLIC, "private:sales-1", "claim"),
                               (4.5, "private:sales-1", PUBLIC, "unreached")]


def _claim_rows(tiny: Tiny) -> list[tuple[float, str]]:
    """(time, lead label) of every claim, in the order of the event log."""
    labels = {str(lead.id): label for label, lead in tiny.leads.items()}
    return [(float(row["time_hours"]), labels[row["lead_id"]]) for row in tiny.rows()
            if row["event"] == "moved" and "rule=claim" in row["detail"]]


def test_the_cooldown_wake_counts_from_the_release_not_from_the_pool_entry(tmp_path: Path
                                                                           ) -> None:
    """The only rep releases l at 1 h (cooldown until 25 h); l, unclaimed for 12 h, moves to
    the grand pool at 13 h, from which reps may claim. The midnight wake finds l cooling
    (23 h); the cooldown ends at 25 h, when the rep must be woken to claim it."""
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                {**CLAIMING, "circulation.reclaim_cooldown_days": 1.0,
                 "circulation.unclaimed_days": 0.5, "circulation.claim_from_grand": True},
                days=2)
    tiny.arrive(0.0, "l")
    tiny.run()
    assert tiny.moves("l")[:3] == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                                   (13.0, PUBLIC, "grand", "unclaimed"),
                                   (25.0, "grand", "private:sales-1", "claim")]


def test_a_claimable_lead_wakes_a_rep_on_shift(tmp_path: Path) -> None:
    """The day team (first on the floor, open 0-12 h) has an idle rep left over from its
    shift; sales-2 (always open) is idle too. sales-1 releases l at 15 h: the one wake must
    go to sales-2, who can claim l now, not to day-1, who is off shift until 24 h."""
    day = team(headcount=1, calendar={"weekdays": [0, 1, 2, 3, 4, 5, 6], "start_hour": 0.0,
                                      "end_hour": 12.0})
    tiny = Tiny(tmp_path, {"teams": {"day": day, "sales": team()}},
                {**CLAIMING, "circulation.reclaim_cooldown_days": 1.0}, days=1)
    tiny.arrive(14.0, "l", owner="sales-1")
    tiny.run()
    assert tiny.moves("l")[:2] == [(15.0, "private:sales-1", PUBLIC, "unreached"),
                                   (15.0, PUBLIC, "private:sales-2", "claim")]


def test_an_idle_rep_freed_from_its_cap_claims_at_once(tmp_path: Path) -> None:
    """The only rep (cap 1) holds h, next due at 101 h, and is idle from 1 h; x finds the
    team full at 0.5 h and waits in the pool. The no-follow-up rule recycles h at 13 h
    (12 h after its last touch): the rep has room again and must claim x then, not at
    midnight. (h itself is in the rep's cooldown, so h's own wake does not bring the rep.)
    """
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1, "teams.sales.private_pool_cap": 1},
                {**CLAIMING, "circulation.reclaim_cooldown_days": 1.0,
                 "circulation.no_follow_up_days": 0.5,
                 "follow_up.max_attempts": 2, "follow_up.spacing_hours": [100.0]}, days=1)
    tiny.arrive(0.0, "h", score=0.1)
    tiny.arrive(0.5, "x", score=0.9)
    tiny.run()
    assert tiny.moves("h") == [(13.0, "private:sales-1", PUBLIC, "no_follow_up")]
    assert tiny.moves("x")[:2] == [(0.5, "queue", PUBLIC, "cap_reached"),
                                   (13.0, PUBLIC, "private:sales-1", "claim")]


def test_daily_claim_limit_caps_the_claims_of_each_day(tmp_path: Path) -> None:
    """One rep, two claims a day, no cooldown: a..d are released at 1..4 h.

    The rep claims the best-scored lead (a) at 4 h and again at 5 h, when a is back in the
    pool; from 6 h the day's allowance is used up. The midnight wake brings two more claims
    of a at 24 h and 25 h. e wakes the rep at 30 h and is released at 31 h, but day 1's
    allowance is used up too, so nothing more is claimed.
    """
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                {"circulation.daily_claim_limit": 2}, days=2)
    for index, label in enumerate("abcd"):
        tiny.arrive(0.0, label, score=0.9 - index / 10)
    tiny.arrive(30.0, "e", score=0.1)
    tiny.run()
    assert _claim_rows(tiny) == [(4.0, "a"), (5.0, "a"), (24.0, "a"), (25.0, "a")]
    assert tiny.moves("e") == [(31.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.model.tally.claims == 4


def test_a_rep_out_of_claims_claims_again_right_after_midnight(tmp_path: Path) -> None:
    """One claim a day, no cooldown: the rep claims l back at 1 h, the moment it releases
    it, and releases it again at 2 h. l stays claimable, but nothing wakes the rep until
    midnight, when the allowance is renewed: the claim comes at 24 h exactly."""
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                {"circulation.daily_claim_limit": 1}, days=2)
    tiny.arrive(0.0, "l")
    tiny.run()
    assert tiny.moves("l") == [(1.0, "private:sales-1", PUBLIC, "unreached"),
                               (1.0, PUBLIC, "private:sales-1", "claim"),
                               (2.0, "private:sales-1", PUBLIC, "unreached"),
                               (24.0, PUBLIC, "private:sales-1", "claim"),
                               (25.0, "private:sales-1", PUBLIC, "unreached")]
    assert tiny.model.tally.claims == 2


def test_no_claim_limit_means_no_claiming(tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1}, {}, days=1)
    tiny.arrive(0.0, "a")
    tiny.run()
    assert tiny.model.tally.claims == 0
    assert tiny.place_of("a") == PUBLIC


def test_routing_to_a_full_team_sends_the_lead_to_the_public_pool(tmp_path: Path) -> None:
    tiny = Tiny(tmp_path, {"teams.sales.headcount": 1, "teams.sales.private_pool_cap": 1},
                {"follow_up.max_attempts": 2, "follow_up.spacing_hours": [100.0]}, days=1)
    tiny.arrive(0.0, "h")  # held: its second attempt is 100 h away
    tiny.arrive(0.5, "q")
    tiny.run()
    assert tiny.moves("q") == [(0.5, "queue", PUBLIC, "cap_reached")]
    assert tiny.owner_of("h") == "sales-1"


def _cap(tmp_path: Path, policy: dict[str, Any], to_close: float) -> Tiny:
    """The only rep (cap 1) advances the sure lead h; z, routed at 0.5 h, finds the team
    full and goes straight to the public pool (no releasing rep, so no cooldown for it).

    sales-1 tries to claim after each of h's meetings; whether it may depends on what
    counts against its cap. A claimed z (never ready) is released an hour later and the
    5-day cooldown keeps sales-1 from taking it back within the horizon, so at most one
    claim happens.
    """
    closers = team(**{**CLOSERS, "cycle_days": {"to_opportunity": 0.01, "to_close": to_close},
                      "private_pool_cap": 1, "headcount": 1})
    tiny = Tiny(tmp_path, {"teams.sales": closers},
                {**CLAIMING, "circulation.reclaim_cooldown_days": 5.0, **policy}, days=3)
    tiny.arrive(0.0, "h", owner="sales-1", propensity=SURE)
    tiny.arrive(0.5, "z", propensity=NEVER)
    return tiny.run()


def test_a_rep_at_cap_claims_nothing(tmp_path: Path) -> None:
    tiny = _cap(tmp_path, {}, to_close=1000.0)
    assert len(tiny.events("h", "opportunity")) == 1
    assert tiny.moves("z") == [(0.5, "queue", PUBLIC, "cap_reached")]
    assert tiny.model.tally.claims == 0


def test_open_opportunities_can_be_left_out_of_the_cap(tmp_path: Path) -> None:
    tiny = _cap(tmp_path, {"circulation.cap_counts_opportunities": False}, to_close=1000.0)
    opportunity_at = tiny.events("h", "opportunity")[0][0]
    assert tiny.moves("z") == [(0.5, "queue", PUBLIC, "cap_reached"),
                               (opportunity_at, PUBLIC, "private:sales-1", "claim"),
                               (pytest.approx(opportunity_at + 1.0), "private:sales-1",
                                PUBLIC, "not_ready")]
    assert tiny.model.tally.claims == 1


def test_won_customers_count_against_the_cap_when_asked(tmp_path: Path) -> None:
    free = _cap(tmp_path, {}, to_close=0.01)
    assert len(free.events("h", "won")) == 1
    won_at = free.events("h", "won")[0][0]
    assert [m for m in free.moves("z") if m[3] == "claim"] == [
        (won_at, PUBLIC, "private:sales-1", "claim")]
    counted = _cap(tmp_path, {"circulation.cap_counts_won": True}, to_close=0.01)
    assert len(counted.events("h", "won")) == 1
    assert counted.model.tally.claims == 0
    assert counted.place_of("z") == PUBLIC


def test_grand_and_blocked_pools_are_claimed_only_when_allowed(tmp_path: Path) -> None:
    def play(claim_from_grand: bool) -> Tiny:
        tiny = Tiny(tmp_path, {"teams.sales.headcount": 1},
                    {**CLAIMING, "circulation.release_to_pool": False,
                     "circulation.claim_from_grand": claim_from_grand}, days=1)
        tiny.arrive(0.0, "g")  # unreached: parked in the grand pool
        return tiny.run()

    closed = play(False)
    assert closed.moves("g") == [(1.0, "private:sales-1", "grand", "unreached")]
    opened = play(True)
    assert opened.moves("g")[:2] == [(1.0, "private:sales-1", "grand", "unreached"),
                                     (1.0, "grand", "private:sales-1", "claim")]
    assert not opened.model.pools[pools.BLOCKED].claimable


def _replay_baseline(monkeypatch: pytest.MonkeyPatch, *, remember: bool
                     ) -> tuple[list[tuple[str, int, int, bool]], dict[str, Any]]:
    """The baseline for 20 days, with every claim offer's walk of a team's idle list
    recorded; ``remember=False`` forgets each no-claimer mark at once."""
    walks: list[tuple[str, int, int, bool]] = []
    wake = Circulation._wake_claimer

    def spy(self: Circulation, team: Any, lead: Any, day: int) -> bool:
        woken = wake(self, team, lead, day)
        marked = team.no_claimer == (day, team.went_idle)
        walks.append((team.name, day, team.went_idle, marked))
        if not remember:
            team.no_claimer = (-1, -1)
        return woken

    monkeypatch.setattr(Circulation, "_wake_claimer", spy)
    setup = api.prepare("baseline")
    result = run_replication(setup.scenario, setup.policy, ModelOptions(seed=5, days=20))
    monkeypatch.undo()
    return walks, {"census": result.census, "moves": result.moves, "kpis": result.kpis}


def test_offers_skip_a_team_whose_idle_reps_are_all_out_of_claims(
        monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Once a walk finds every idle rep busy or out of today's claims, no offer walks that
    team again until another rep goes idle or the day ends; the run is the same as one that
    walks every time."""
    if replayed_on_sources(request):  # the walks are watched through a patched method
        return
    walks, remembered = _replay_baseline(monkeypatch, remember=True)
    marked_so_far: set[tuple[str, int, int]] = set()
    for name, day, went_idle, marked in walks:
        assert (name, day, went_idle) not in marked_so_far  # nobody new idle, same day
        if marked:
            marked_so_far.add((name, day, went_idle))
    assert len(marked_so_far) > 50
    walked_every_time, forgotten = _replay_baseline(monkeypatch, remember=False)
    assert len(walked_every_time) > len(walks)
    assert forgotten == remembered
