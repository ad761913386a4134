"""Alarms: calls due at a set time, queued in SimPy's event queue without a Timeout.

Circulation arms several rule timers per lead and ownership, so pending timers are the
model's most numerous objects. A ``Timeout`` with a closure costs about 600 bytes; an
:class:`Alarm` holds only the function and its arguments. It enters the queue through
``Environment.schedule`` exactly as a ``Timeout`` does (same time, priority and sequence
number), so every event keeps its place in the order of play. SimPy's ``step`` takes any
queued object with a ``callbacks`` sequence and an ``_ok`` flag; an alarm's one callback
calls its function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simpy import Environment
from simpy.events import NORMAL


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


def set_alarm(env: Environment, delay: float, call: Callable[..., None], *args: Any) -> None:
    """Call ``call(*args)`` after ``delay`` hours (negative delays count as zero).

    A bound method is kept as its function and instance, so a pending alarm does not hold a
    method object of its own.
    """
    function = getattr(call, "__func__", None)
    if function is not None:
        call, args = function, (call.__self__, *args)  # type: ignore[attr-defined]
    env.schedule(Alarm(call, args), NORMAL, max(delay, 0.0))  # type: ignore[arg-type]
