"""Working calendars on the simulation clock.

The clock runs in hours from midnight of the scenario's start date. A calendar knows on
which weekdays and between which hours a team works, and answers: is the team at work now,
when does the next shift start, when does the current one end, and how many working hours a
stretch of time holds.
"""

from __future__ import annotations

import math

from leadops.errors import InvariantError
from scenarios.schema import Calendar

HOURS_PER_DAY = 24.0


class WorkCalendar:
    """A team's calendar, anchored to the weekday of the simulation's day 0."""

    __slots__ = ("always_open", "end", "first_weekday", "open_days", "start")

    def __init__(self, calendar: Calendar, first_weekday: int):
        self.start = calendar.start_hour
        self.end = calendar.end_hour
        self.open_days = frozenset(calendar.weekdays)
        self.first_weekday = first_weekday
        self.always_open = calendar.always_open

    def _works_on(self, day: int) -> bool:
        return (self.first_weekday + day) % 7 in self.open_days

    def is_open(self, now: float) -> bool:
        if self.always_open:
            return True
        day = math.floor(now / HOURS_PER_DAY)
        hour = now - day * HOURS_PER_DAY
        return self._works_on(day) and self.start <= hour < self.end

    def next_open(self, now: float) -> float:
        """``now`` if the team is at work, else the start of its next shift."""
        if self.is_open(now):
            return now
        day = math.floor(now / HOURS_PER_DAY)
        if self._works_on(day) and now - day * HOURS_PER_DAY < self.start:
            return day * HOURS_PER_DAY + self.start
        for ahead in range(1, 8):
            if self._works_on(day + ahead):
                return (day + ahead) * HOURS_PER_DAY + self.start
        raise InvariantError("a validated calendar has at least one working day")

    def shift_end(self, now: float) -> float:
        """End of the shift running at ``now`` (``now`` itself when off shift)."""
        if self.always_open:
            return math.inf
        if not self.is_open(now):
            return now
        return math.floor(now / HOURS_PER_DAY) * HOURS_PER_DAY + self.end

    def working_hours(self, begin: float, finish: float) -> float:
        """Working hours between two instants."""
        if finish <= begin:
            return 0.0
        if self.always_open:
            return finish - begin
        total = 0.0
        first, last = math.floor(begin / HOURS_PER_DAY), math.floor(finish / HOURS_PER_DAY)
        for day in range(first, last + 1):
            if not self._works_on(day):
                continue
            base = day * HOURS_PER_DAY
            low, high = max(begin, base + self.start), min(finish, base + self.end)
            total += max(0.0, high - low)
        return total

    def add_working_hours(self, begin: float, hours: float) -> float:
        """The instant when ``hours`` of working time have passed after ``begin``."""
        if self.always_open:
            return begin + hours
        now, left = self.next_open(begin), hours
        while True:
            end = self.shift_end(now)
            if now + left <= end:
                return now + left
            left -= end - now
            now = self.next_open(end)
