"""Alarms fire exactly where SimPy Timeouts set at the same moments would.

The same script of timers runs twice: once with plain Timeouts and callbacks, once with an
AlarmClock (which parks alarms due after the current day). Ties at equal times, timers due
exactly at midnight, and timers set from inside a running alarm must all come out in the
same order, at the same times, with the same count of SimPy events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from sim.alarms import AlarmClock, ParkedDay

Setter = Callable[..., None]


def _script(env: simpy.Environment, after: Setter, fired: list[tuple[str, float]]) -> None:
    def ring(name: str) -> None:
        fired.append((name, env.now))
        if name == "b":  # set from inside a firing alarm: ties with "later-tie" below
            after(100.0 - env.now, ring, "from-b")

    def waker() -> Any:
        yield env.timeout(30.0)
        fired.append(("process", env.now))
        after(70.0, ring, "later-tie")  # due at 100.0, set after "from-b" was set
        yield env.timeout(18.0)  # a process event at 48.0, after the alarms set earlier
        fired.append(("process", env.now))

    def early() -> Any:
        yield env.timeout(10.0)
        yield env.timeout(38.0)  # due at 48.0, set before day 1's alarms entered the queue
        fired.append(("early", env.now))

    env.process(early())
    after(48.0, ring, "a")
    after(24.0, ring, "midnight")
    after(5.0, ring, "soon")
    env.process(waker())
    after(48.0, ring, "b")
    after(0.0, ring, "now")
    after(-3.0, ring, "negative")
    for day in range(1, 6):
        after(day * 24.0 + 0.5, ring, f"day{day}")


def _with_timeouts(env: simpy.Environment) -> Setter:
    def after(delay: float, call: Callable[..., None], *args: Any) -> None:
        env.timeout(max(delay, 0.0)).callbacks.append(lambda _: call(*args))

    return after


def test_alarms_fire_in_the_order_and_at_the_times_of_timeouts() -> None:
    runs = []
    for make in (_with_timeouts, lambda env: AlarmClock(env).set):
        env = simpy.Environment()
        fired: list[tuple[str, float]] = []
        _script(env, make(env), fired)
        env.run(until=200.0)
        runs.append((fired, next(env._eid)))
    (expected, expected_events), (got, got_events) = runs
    assert got == expected
    assert got_events == expected_events
    assert [name for name, _ in got[:5]] == ["now", "negative", "soon", "midnight", "day1"]
    assert [name for name, time in got if time == 48.0] == ["a", "b", "early", "process"]
    assert ("from-b", 100.0) in got and ("later-tie", 100.0) in got


def _bell() -> tuple[simpy.Environment, AlarmClock, list[tuple[str, float]],
                    Callable[[str], None]]:
    """A clock, and a plain function that records which named alarm rang when."""
    env = simpy.Environment()
    fired: list[tuple[str, float]] = []

    def ring(name: str) -> None:
        fired.append((name, env.now))

    return env, AlarmClock(env), fired, ring


def test_a_parked_day_keeps_times_and_sequence_numbers_in_typed_columns() -> None:
    env, clock, fired, ring = _bell()
    clock.set(40.0, ring, "x")  # due on day 1: parked under day 1 until that day begins
    clock.set(30.0, ring, "y")  # due earlier on day 1, set later
    clock.set(1.0, ring, "z")  # due today: straight into SimPy's queue
    day = clock.parked[1]
    assert len(day) == 2
    assert (day.times.typecode, day.sequences.typecode) == ("d", "q")
    assert list(day.times) == [40.0, 30.0]
    assert list(day.sequences) == sorted(day.sequences)
    assert [call[1:] for call in day.calls()] == [("x",), ("y",)]
    env.run(until=60.0)
    assert fired == [("z", 1.0), ("y", 30.0), ("x", 40.0)]
    assert not clock.parked


class Follower:
    """Alarms of a method: ``check(ticket)`` does something only while ``ticket`` is open."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.open: set[int] = set()
        self.fired: list[tuple[int, float]] = []

    def check(self, ticket: int) -> None:
        if ticket in self.open:
            self.fired.append((ticket, self.env.now))

    def closed(self, ticket: int) -> bool:
        return ticket not in self.open


def _play_tickets(lapsing: bool) -> tuple[Follower, AlarmClock, int, int]:
    """20,000 tickets over eight days, each with an alarm a week ahead; most close the next
    day."""
    env = simpy.Environment()
    clock = AlarmClock(env)
    follower = Follower(env)
    if lapsing:
        clock.lapse_when(follower.check, Follower.closed)
    most_parked = 0

    def open_and_close() -> Any:
        for ticket in range(20_000):
            follower.open.add(ticket)
            clock.set(24.0 * 7 + ticket % 5, follower.check, ticket)
            if ticket % 10:
                clock.set(24.0, follower.open.discard, ticket)
            yield env.timeout(0.01)

    def census() -> Any:
        nonlocal most_parked
        while True:
            most_parked = max(most_parked, sum(len(day) for day in clock.parked.values()))
            yield env.timeout(6.0)

    env.process(open_and_close())
    env.process(census())
    env.run(until=24.0 * 60)
    return follower, clock, most_parked, next(env._eid)


def test_lapsed_alarms_are_dropped_without_changing_the_play() -> None:
    kept, _, kept_most, kept_events = _play_tickets(lapsing=False)
    dropped, clock, dropped_most, dropped_events = _play_tickets(lapsing=True)

    assert dropped.fired == kept.fired
    assert len(dropped.fired) == 2_000  # one ticket in ten stays open
    assert dropped_events == kept_events
    assert kept_most > 15_000
    assert dropped_most < kept_most / 2
    assert not clock.parked and clock.waiting == 0


def test_a_method_alarm_holds_the_shared_function_not_a_bound_method() -> None:
    env = simpy.Environment()
    clock = AlarmClock(env)
    follower = Follower(env)
    follower.open.add(7)
    clock.set(30.0, follower.check, 7)
    call = clock.parked[1].calls()[0]
    assert call[1:] == (follower, 7)
    assert call[0] is Follower.check  # the class's function, shared by every such alarm
    assert not hasattr(call[0], "__self__") or call[0].__self__ is not follower
    env.run(until=40.0)
    assert follower.fired == [(7, 30.0)]


def test_dropping_lapsed_alarms_keeps_the_others_whole_and_in_order() -> None:
    def gone(*args: Any) -> bool:
        return "gone" in args

    def keep(*args: Any) -> None:
        pass

    day = ParkedDay()
    alarms = [(gone, ("a",)), (keep, ()), (gone, ("gone", 1, 2)), (keep, ("gone",)),
              (gone, (3, "gone")), (gone, ("b", 4.5)), (gone, (1, 2, "gone", 4)),
              (gone, (1, 2, 3, 4)), (keep, ())]
    for index, (call, args) in enumerate(alarms):
        day.add(10.0 + index, 100 + index, call, args)
    day.drop_lapsed({gone: gone})
    assert day.calls() == [(gone, "a"), (keep,), (keep, "gone"), (gone, "b", 4.5),
                           (gone, 1, 2, 3, 4), (keep,)]
    assert list(day.times) == [10.0, 11.0, 13.0, 15.0, 17.0, 18.0]
    assert list(day.sequences) == [100, 101, 103, 105, 107, 108]
    assert list(day.widths) == [1, 0, 1, 2, 4, 0]
    day.drop_lapsed({gone: gone})  # nothing more has lapsed: the day stays as it was
    assert len(day) == 6 and len(day.flat) == 6 + 8


def test_call_later_parks_a_shared_function_as_set_does_for_a_bound_method() -> None:
    env = simpy.Environment()
    clock = AlarmClock(env)
    follower = Follower(env)
    follower.open.update({7, 8})
    clock.set(30.0, follower.check, 7)
    clock.call_later(31.0, Follower.check, follower, 8)
    assert clock.parked[1].calls() == [(Follower.check, follower, 7),
                                       (Follower.check, follower, 8)]
    env.run(until=40.0)
    assert follower.fired == [(7, 30.0), (8, 31.0)]


def test_a_released_day_keeps_only_its_next_alarm_in_the_queue() -> None:
    env, clock, fired, ring = _bell()
    for name, hours in (("c", 40.0), ("a", 30.0), ("d", 40.0), ("b", 35.0), ("e", 47.5)):
        clock.set(hours, ring, name)  # all due on day 1, set out of time order
    queued: list[int] = []

    def watch() -> Any:
        yield env.timeout(0.5)  # day 1's alarms were released at midnight
        while True:
            queued.append(sum(1 for entry in clock.queue if entry[1] == 1))  # NORMAL entries
            yield env.timeout(1.0)

    env.process(watch())
    env.run(until=48.0)
    assert fired == [("a", 30.0), ("b", 35.0), ("c", 40.0), ("d", 40.0), ("e", 47.5)]
    assert max(queued) <= 2  # the day's next alarm and the watcher's own timeout


def test_lapsed_alarms_are_dropped_while_the_parked_count_holds_steady() -> None:
    """A steady stream: 200 tickets an hour for 24 days, each with an alarm a week ahead,
    three in ten closed within the hour. The parked alarms level off near 33,600 with about
    23,500 of them open. A sweep keeps most of what it finds, so waiting for the parked count
    to grow by half would not sweep again once it levels off; counting the alarms parked
    since the last sweep does."""
    env = simpy.Environment()
    clock = AlarmClock(env)
    follower = Follower(env)
    clock.lapse_when(follower.check, Follower.closed)
    late_most = 0

    def stream() -> Any:
        for ticket in range(200 * 24 * 24):
            follower.open.add(ticket)
            clock.set(24.0 * 7, follower.check, ticket)
            if ticket % 10 < 3:
                clock.set(0.5, follower.open.discard, ticket)
            yield env.timeout(1 / 200)

    def census() -> Any:
        nonlocal late_most
        yield env.timeout(24.0 * 14)  # the parked count has levelled off by day 8
        while True:
            late_most = max(late_most, sum(len(day) for day in clock.parked.values()))
            yield env.timeout(6.0)

    env.process(stream())
    env.process(census())
    env.run(until=24.0 * 24)
    assert late_most < 23_500 + 6_000  # the open ones and at most a sweep's worth of lapsed
