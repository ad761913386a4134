"""Shared lead pools: a public pool per business line, the grand pool, the blocked pool.

A pool holds its members as the keys of a dict, in the order they entered, for
constant-time entry and exit. A claimable pool also keeps a cooling queue (leads that
entered too recently to be claimed) and a heap ordered by score or freshness, so that
claiming never scans the pool. Entries that went stale because the lead left the pool are
skipped lazily and compacted when they exceed a quarter of the members (each stale entry
holds about 120 bytes and its lead).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

from sim.leads import POOLED, Lead, Queued

PUBLIC, GRAND, BLOCKED = "public", "grand", "blocked"
KINDS = (PUBLIC, GRAND, BLOCKED)
SKIP_LIMIT = 64  # most entries one claim looks past before giving up (cooldowns)
STALE_FLOOR = 256  # stale heap entries always tolerated before a compaction


class Pool:
    """One shared pool. ``line`` is the business-line index of a public pool, else -1."""

    def __init__(self, name: str, kind: str, line: int, *, claimable: bool, by_score: bool,
                 delay_hours: float):
        self.name = name
        self.kind = kind
        self.line = line
        self.claimable = claimable
        self.by_score = by_score
        self.delay_hours = delay_hours
        self.members: dict[Lead, None] = {}  # keyed by the lead itself: no int per member
        self.cooling: deque[Queued] = deque()  # (time entered, stamp), in order of entry
        self.ready: list[Queued] = []  # (claim key, stamp) on a heap
        self.stamps = 0

    def __len__(self) -> int:
        return len(self.members)

    def __contains__(self, lead: Lead) -> bool:
        return lead.pool is self

    def add(self, lead: Lead, now: float) -> None:
        self.stamps += 1
        lead.pool, lead.pool_stamp, lead.pooled_at = self, self.stamps, now
        lead.state = POOLED
        lead.owner = None
        self.members[lead] = None
        if self.claimable:
            self.cooling.append(Queued(now, self.stamps, lead))

    def remove(self, lead: Lead) -> None:
        del self.members[lead]
        lead.pool = None

    def claim(self, now: float, accept: Callable[[Lead], bool]) -> Lead | None:
        """The first lead in claim order that ``accept`` allows, found without scanning.

        Its heap entry is consumed; the caller takes the lead out with :meth:`remove`.
        """
        entry = self._best(now, accept)
        return entry.lead if entry is not None else None

    def peek_key(self, now: float, accept: Callable[[Lead], bool]) -> float | None:
        """Sort key of the lead a claim would take (lower is better), or None."""
        entry = self._best(now, accept, keep=True)
        return entry.key if entry is not None else None

    def _best(self, now: float, accept: Callable[[Lead], bool], keep: bool = False
              ) -> Queued | None:
        self._promote(now)
        skipped: list[Queued] = []
        found: Queued | None = None
        while self.ready and len(skipped) < SKIP_LIMIT:
            entry = heapq.heappop(self.ready)
            if not self._current(entry):
                continue
            if accept(entry.lead):
                found = entry
                break
            skipped.append(entry)
        if found is not None and keep:
            skipped.append(found)
        for entry in skipped:
            heapq.heappush(self.ready, entry)
        return found

    def _promote(self, now: float) -> None:
        """Move leads whose claim delay has passed from the cooling queue to the heap."""
        cutoff = now - self.delay_hours
        while self.cooling and self.cooling[0].key <= cutoff:
            entry = self.cooling.popleft()
            if self._current(entry):
                entry.key = -entry.lead.score if self.by_score else -entry.key  # the claim key
                heapq.heappush(self.ready, entry)
        if len(self.ready) > len(self.members) + len(self.members) // 4 + STALE_FLOOR:
            self.ready = [entry for entry in self.ready if self._current(entry)]
            heapq.heapify(self.ready)

    def _current(self, entry: Queued) -> bool:
        lead = entry.lead
        return lead.pool is self and lead.pool_stamp == entry.stamp
