"""Working calendars on the simulation clock (hours since midnight of day 0)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.schema import Calendar
from sim.calendar import WorkCalendar

MONDAY, SATURDAY, SUNDAY = 0, 5, 6
WEEK_HOURS = 168.0


def _office(first_weekday: int = MONDAY, weekdays: list[int] | None = None,
            start: float = 9.0, end: float = 17.0) -> WorkCalendar:
    """A nine-to-five (by default Monday to Friday) calendar."""
    calendar = Calendar(weekdays=weekdays if weekdays is not None else [0, 1, 2, 3, 4],
                        start_hour=start, end_hour=end)
    return WorkCalendar(calendar, first_weekday)


def _hour(day: int, hour: float) -> float:
    return day * 24.0 + hour


# is_open -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_hour(0, 8.99), False),
        (_hour(0, 9.0), True),
        (_hour(0, 12.5), True),
        (_hour(0, 16.999), True),
        (_hour(0, 17.0), False),
        (_hour(4, 10.0), True),  # Friday
        (_hour(5, 10.0), False),  # Saturday
        (_hour(6, 10.0), False),  # Sunday
        (_hour(7, 10.0), True),  # next Monday
        (_hour(0, 23.5), False),
    ],
)
def test_office_hours_on_a_week_starting_monday(now: float, expected: bool) -> None:
    assert _office().is_open(now) is expected


def test_first_weekday_shifts_the_week() -> None:
    calendar = _office(first_weekday=SATURDAY)
    assert not calendar.is_open(_hour(0, 10.0))  # Saturday
    assert not calendar.is_open(_hour(1, 10.0))  # Sunday
    assert calendar.is_open(_hour(2, 10.0))  # Monday


def test_round_the_clock_calendar_is_always_open() -> None:
    calendar = _office(weekdays=list(range(7)), start=0.0, end=24.0)
    assert calendar.always_open
    assert all(calendar.is_open(t) for t in (0.0, 23.999, 24.0, 1000.5))
    assert calendar.next_open(37.25) == 37.25
    assert calendar.shift_end(37.25) == math.inf
    assert calendar.working_hours(3.0, 100.0) == pytest.approx(97.0)


def test_whole_day_shift_on_weekdays_only_is_not_always_open() -> None:
    calendar = _office(start=0.0, end=24.0)
    assert not calendar.always_open
    assert calendar.is_open(_hour(4, 23.9)) and not calendar.is_open(_hour(5, 0.0))
    assert calendar.shift_end(_hour(2, 20.0)) == _hour(3, 0.0)


# next_open -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_hour(0, 10.0), _hour(0, 10.0)),  # open: now
        (_hour(0, 6.0), _hour(0, 9.0)),  # before the shift
        (_hour(0, 17.0), _hour(1, 9.0)),  # after the shift
        (_hour(4, 17.5), _hour(7, 9.0)),  # Friday evening: the weekend is skipped
        (_hour(5, 10.0), _hour(7, 9.0)),  # Saturday
        (_hour(6, 23.9), _hour(7, 9.0)),  # Sunday night
    ],
)
def test_next_open(now: float, expected: float) -> None:
    assert _office().next_open(now) == pytest.approx(expected)


def test_next_open_of_a_single_working_day_is_a_week_later() -> None:
    calendar = _office(weekdays=[SUNDAY], start=10.0, end=12.0)
    assert calendar.next_open(_hour(0, 0.0)) == _hour(6, 10.0)
    assert calendar.next_open(_hour(6, 12.0)) == _hour(13, 10.0)


# shift_end -----------------------------------------------------------------------------------


def test_shift_end() -> None:
    calendar = _office()
    assert calendar.shift_end(_hour(2, 9.0)) == _hour(2, 17.0)
    assert calendar.shift_end(_hour(2, 16.5)) == _hour(2, 17.0)
    assert calendar.shift_end(_hour(2, 18.0)) == _hour(2, 18.0)  # off shift: now
    assert calendar.shift_end(_hour(5, 10.0)) == _hour(5, 10.0)


# working_hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("begin", "finish", "expected"),
    [
        (0.0, WEEK_HOURS, 40.0),
        (0.0, 4 * WEEK_HOURS, 160.0),
        (_hour(0, 10.0), _hour(0, 11.5), 1.5),
        (_hour(0, 16.0), _hour(1, 10.0), 2.0),
        (_hour(4, 12.0), _hour(7, 12.0), 8.0),  # Friday noon to Monday noon
        (_hour(5, 0.0), _hour(7, 0.0), 0.0),  # the weekend
        (_hour(3, 12.0), _hour(3, 12.0), 0.0),
        (_hour(3, 12.0), _hour(2, 12.0), 0.0),
    ],
)
def test_working_hours(begin: float, finish: float, expected: float) -> None:
    assert _office().working_hours(begin, finish) == pytest.approx(expected)


def test_working_hours_follow_the_first_weekday() -> None:
    assert _office(first_weekday=SATURDAY).working_hours(0.0, _hour(2, 0.0)) == 0.0
    assert _office(first_weekday=SATURDAY).working_hours(0.0, WEEK_HOURS) == 40.0


@settings(max_examples=200, deadline=None)
@given(
    weekdays=st.sets(st.integers(0, 6), min_size=1),
    start=st.integers(0, 20),
    length=st.integers(1, 24),
    first_weekday=st.integers(0, 6),
    begin=st.floats(0.0, 3 * WEEK_HOURS),
    span=st.floats(0.0, 3 * WEEK_HOURS),
)
def test_calendar_answers_agree(weekdays: set[int], start: int, length: int,
                                first_weekday: int, begin: float, span: float) -> None:
    end = min(start + length, 24)
    calendar = _office(first_weekday, sorted(weekdays), float(start), float(end))
    finish = begin + span

    opened = calendar.next_open(begin)
    hours = calendar.working_hours(begin, finish)

    assert calendar.is_open(opened)
    assert begin <= opened < begin + WEEK_HOURS
    assert calendar.working_hours(begin, opened) == 0.0
    assert 0.0 <= hours <= span + 1e-9
    if calendar.is_open(begin):
        assert opened == begin
        assert calendar.working_hours(begin, calendar.shift_end(begin)) == pytest.approx(
            calendar.shift_end(begin) - begin)
    week = calendar.working_hours(begin, begin + WEEK_HOURS)
    assert week == pytest.approx(len(weekdays) * (end - start))
