"""Alarms: calls due at a set time, queued in SimPy's event queue without a Timeout.

Circulation arms several rule timers per lead and ownership, so pending timers are the
model's most numerous objects. A ``Timeout`` with a closure costs about 600 bytes; an
:class:`Alarm` holds only the function and its arguments. SimPy's ``step`` takes any queued
object with a ``callbacks`` sequence and an ``_ok`` flag; an alarm's one callback calls its
function.

Most rule timers are due days or weeks ahead, and a large event queue makes every event
dearer. So an :class:`AlarmClock` parks alarms due after the current day in one list per
day and releases a day's alarms when that day's predecessor begins, which is always before
any of them is due. An alarm takes its SimPy sequence number when it is set, as a
``Timeout`` created at that moment would; the queue orders entries by (time, priority,
sequence number) whatever the moment they enter it, so every event keeps its place in the
order of play and the count of SimPy events is unchanged. The releases themselves use
negative sequence numbers of their own and change no state of the model.

A released day (:class:`DueDay`) does not put all its alarms in SimPy's queue at once: it
sorts them by (time, sequence number) and keeps only the next one queued, queuing its
successor as it rings. Each is still queued before its time comes, under its own key, so
the order of play is the same, while a day of alarms costs no event objects.

A parked day keeps its alarms in columns (:class:`ParkedDay`): the due times and sequence
numbers in typed arrays, 8 bytes each instead of a float and an int object, and the
functions and arguments one after another in one flat list.

Most rule timers lapse before they are due: the lead was touched, moved to another owner or
left the pool, and the timer will do nothing when it rings. A caller may say how to tell
that an alarm of a given function has lapsed for good (:meth:`AlarmClock.lapse_when`); the
clock then drops lapsed parked alarms whenever the alarms parked since the last sweep number
half of those it kept, so each alarm is looked at a few times on average and lapsed timers
do not pile up in memory, even while the parked count holds steady (a trigger on its growth
alone let a quarter of a steady 10x run's parked alarms lapse unseen). Dropping an alarm
that would have done nothing changes neither the order of play nor the count of SimPy
events, which counts sequence numbers handed out.
"""

from __future__ import annotations

import heapq
import itertools
import math
from array import array
from collections.abc import Callable
from types import BuiltinMethodType, ModuleType
from typing import Any

from simpy import Environment
from simpy.events import NORMAL, URGENT

from sim.calendar import HOURS_PER_DAY

Call = tuple[Any, ...]  # (function, *arguments): what a parked alarm will call
Lapsed = Callable[..., bool]  # takes an alarm's (function's) arguments: has it lapsed?
Run = tuple[int, int, int, int]  # alarms first..last (exclusive), at first..last in ``flat``
SWEEP_FLOOR = 4096  # no sweep before this many alarms have been parked since the last
SWEEP_SHARE = 0.5  # sweep again once the alarms parked since reach this share of those kept


class Alarm:
    """``call(*args)`` when the simulation clock reaches the alarm's time."""

    __slots__ = ("args", "call", "callbacks")
    _ok = True  # SimPy's "succeeded" flag: an alarm never fails

    def __init__(self, call: Callable[..., None], args: tuple[Any, ...]):
        self.call = call
        self.args = args
        self.callbacks: tuple[Callable[[Alarm], None], ...] | None = RING


def _ring(alarm: Alarm) -> None:
    alarm.call(*alarm.args)


RING = (_ring,)


class ParkedDay:
    """The alarms parked for one day, in the order they were set, in columns.

    Due times and sequence numbers sit in typed arrays; the functions and their arguments
    lie one alarm after another in one flat list, with each alarm's count of arguments in a
    byte array. A parked alarm thus costs no tuple of its own: about 40 bytes less than a
    (function, *arguments) tuple, and at most 255 arguments.
    """

    __slots__ = ("flat", "sequences", "times", "widths")

    def __init__(self) -> None:
        self.times = array("d")
        self.sequences = array("q")
        self.widths = array("B")
        self.flat: list[Any] = []

    def add(self, when: float, sequence: int, call: Any, args: tuple[Any, ...]) -> None:
        self.times.append(when)
        self.sequences.append(sequence)
        self.widths.append(len(args))
        self.flat.append(call)
        self.flat.extend(args)

    def __len__(self) -> int:
        return len(self.times)

    def starts(self) -> array[int]:
        """Where each alarm's function sits in ``flat``."""
        starts, start = array("q"), 0
        for width in self.widths:
            starts.append(start)
            start += 1 + width
        return starts

    def calls(self) -> list[Call]:
        """Each alarm as a (function, *arguments) tuple, in the order they were set."""
        flat, widths = self.flat, self.widths
        return [tuple(flat[start:start + 1 + widths[index]])
                for index, start in enumerate(self.starts())]

    def drop_lapsed(self, lapses: dict[Any, Lapsed]) -> None:
        """Forget the alarms whose function has a lapse test that says they lapsed."""
        runs = self._kept_runs(lapses)
        if len(runs) != 1 or runs[0][1] - runs[0][0] != len(self):
            self._keep_runs(runs)

    def _kept_runs(self, lapses: dict[Any, Lapsed]) -> list[Run]:
        """The runs of consecutive alarms that have not lapsed, with their spans in ``flat``."""
        flat, widths = self.flat, self.widths
        runs: list[Run] = []
        first = first_read = -1  # the current run's first alarm and its place, -1 for none
        read = 0
        for index in range(len(widths)):
            width = widths[index]
            lapsed = lapses.get(flat[read])
            gone = lapsed is not None and lapsed(*flat[read + 1:read + 1 + width])
            if gone and first >= 0:
                runs.append((first, index, first_read, read))
                first = -1
            elif not gone and first < 0:
                first, first_read = index, read
            read += 1 + width
        if first >= 0:
            runs.append((first, len(widths), first_read, read))
        return runs

    def _keep_runs(self, runs: list[Run]) -> None:
        """Move the kept runs down over the dropped alarms, slice by slice, and cut the rest."""
        flat, widths, times, sequences = self.flat, self.widths, self.times, self.sequences
        kept = written = 0
        for first, last, first_read, last_read in runs:
            count, size = last - first, last_read - first_read
            if kept < first:
                times[kept:kept + count] = times[first:last]
                sequences[kept:kept + count] = sequences[first:last]
                widths[kept:kept + count] = widths[first:last]
                flat[written:written + size] = flat[first_read:last_read]
            kept += count
            written += size
        del times[kept:], sequences[kept:], widths[kept:], flat[written:]


def unbound(call: Callable[..., Any]) -> tuple[Any, Any]:
    """(function, instance) of a bound method, else (call, None).

    A pending alarm then holds a function shared by every alarm instead of a bound method of
    its own. Compiled classes bind methods as builtin methods, whose shared form is the
    class's method descriptor.
    """
    function = getattr(call, "__func__", None)
    if function is not None:
        return function, call.__self__  # type: ignore[attr-defined]
    if isinstance(call, BuiltinMethodType):
        owner = call.__self__
        if owner is not None and not isinstance(owner, ModuleType):
            return getattr(type(owner), call.__name__), owner
    return call, None


class DueDay:
    """A released parked day: its alarms ring in order, only the next one in SimPy's queue.

    SimPy's ``step`` takes the queued day, clears its callbacks and calls them; the callback
    queues the day again under its next alarm's key, then calls the alarm that came due.
    """

    __slots__ = ("callbacks", "cursor", "order", "parked", "queue", "starts")
    _ok = True  # SimPy's "succeeded" flag

    def __init__(self, parked: ParkedDay, queue: list[Any]):
        self.parked = parked
        self.queue = queue
        times = parked.times
        # Alarms were added in order of sequence number, so a stable sort by time alone
        # gives the order of (time, sequence number).
        self.order = array("q", sorted(range(len(parked)), key=times.__getitem__))
        self.starts = parked.starts()
        self.cursor = 0
        self.callbacks: tuple[Callable[[DueDay], None], ...] | None = None

    def queue_next(self) -> None:
        """Queue the day under the key of its next alarm, if one is left."""
        if self.cursor < len(self.order):
            index = self.order[self.cursor]
            self.callbacks = RING_NEXT
            entry = (self.parked.times[index], NORMAL, self.parked.sequences[index], self)
            heapq.heappush(self.queue, entry)

    def ring(self) -> None:
        index = self.order[self.cursor]
        self.cursor += 1
        self.queue_next()
        flat, start = self.parked.flat, self.starts[index]
        flat[start](*flat[start + 1:start + 1 + self.parked.widths[index]])


def _ring_next(day: DueDay) -> None:
    day.ring()


RING_NEXT = (_ring_next,)


class AlarmClock:
    """Sets alarms for one simulation; see the module docstring for the parked days."""

    def __init__(self, env: Environment):
        self.env = env
        self.queue: list[Any] = env._queue  # SimPy's event queue, a heap of Entry tuples
        self.parked: dict[int, ParkedDay] = {}
        self.moves = itertools.count(-1, -1)
        self.lapses: dict[Any, Lapsed] = {}
        self.parked_since = 0  # alarms parked since the last sweep
        self.sweep_after = SWEEP_FLOOR

    def lapse_when(self, call: Callable[..., None], lapsed: Lapsed) -> None:
        """Let parked alarms of ``call`` be dropped once ``lapsed`` says so.

        ``lapsed`` takes the alarm's arguments (for a method, the instance first) and must
        say True only of an alarm that would do nothing when due, and stay True from then on.
        """
        self.lapses[unbound(call)[0]] = lapsed

    def set(self, delay: float, call: Callable[..., None], *args: Any) -> None:
        """Call ``call(*args)`` after ``delay`` hours (negative delays count as zero).

        A bound method is kept as its function and instance, so a pending alarm does not
        hold a method object of its own. Callers that set many alarms pass the shared
        function themselves to :meth:`call_later`, which skips finding it.
        """
        function, instance = unbound(call)
        if instance is not None:
            self.call_later(delay, function, instance, *args)
        else:
            self.call_later(delay, call, *args)

    def call_later(self, delay: float, call: Callable[..., None], *args: Any) -> None:
        """As :meth:`set`, for a function shared by every alarm that calls it: a module's
        function, or a class's function with the instance as first argument."""
        env = self.env
        when = env.now + max(delay, 0.0)
        sequence = next(env._eid)
        day = self._move_day(when)
        if day * HOURS_PER_DAY <= env.now:
            heapq.heappush(self.queue, (when, NORMAL, sequence, Alarm(call, args)))
            return
        parked = self.parked.get(day)
        if parked is None:
            parked = self.parked[day] = ParkedDay()
            mover = Alarm(self._move, (day,))
            heapq.heappush(self.queue, (day * HOURS_PER_DAY, URGENT, next(self.moves), mover))
        parked.add(when, sequence, call, args)
        self.parked_since += 1
        if self.parked_since > self.sweep_after:
            self.sweep()

    def sweep(self) -> None:
        """Drop the lapsed parked alarms now, and set the count that calls the next sweep."""
        if self.lapses:
            for parked in self.parked.values():
                parked.drop_lapsed(self.lapses)
        self.parked_since = 0
        self.sweep_after = max(SWEEP_FLOOR, int(self.waiting * SWEEP_SHARE))

    @property
    def waiting(self) -> int:
        """How many alarms are parked now."""
        return sum(len(parked) for parked in self.parked.values())

    @staticmethod
    def _move_day(when: float) -> int:
        """The last day that starts strictly before ``when``."""
        day = math.ceil(when / HOURS_PER_DAY) - 1
        while day * HOURS_PER_DAY >= when:
            day -= 1
        return day

    def _move(self, day: int) -> None:
        DueDay(self.parked.pop(day), self.queue).queue_next()
