"""Property tests: any wrong value anywhere in the baseline is exit code 2 naming the field.

Each example runs ``leadops run baseline --days 2 -n 1 --set PATH=VALUE`` through
:func:`leadops.cli.main`; a wrong value is caught while loading, so no simulation runs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from leadops.cli import main
from leadops.errors import InputError
from scenarios import BUNDLED_DIR, parse_override
from scenarios.schema import (
    ActivationFacts,
    BlockedReview,
    BusinessLine,
    Calendar,
    Channel,
    Classification,
    Crm,
    CustomerSuccess,
    CycleDays,
    DealSize,
    DecayCurve,
    Duration,
    Experience,
    Monitoring,
    Patience,
    Quality,
    Response,
    Scenario,
    Team,
)

Key = tuple[str | int, ...]

BASELINE: dict[str, Any] = tomllib.loads(
    (BUNDLED_DIR / "baseline.toml").read_text(encoding="utf-8"))

# Fields whose schema has an upper bound, so a huge number is out of range there.
BOUNDED = {"connect_rate", "meeting_show_rate", "opportunity_rate", "win_rate",
           "disqualify_accuracy", "false_disqualify_rate", "fast_weight", "floor",
           "junk_propensity", "gross_margin", "mean", "shape", "headcount", "days",
           "start_hour", "end_hour", "weekdays", "nightly_hour", "reviews_per_week",
           "release_share", "opt_out_rate", "repeat_probability", "outbound_share",
           "opt_out_per_excess_touch", "trailing_periods"}
PROFILES = {"weekday_profile": 7, "hour_profile": 24, "seasonality": 12}

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


def leaves(node: Any, prefix: Key = ()) -> list[tuple[Key, Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in leaves(value, (*prefix, key))]
    if isinstance(node, list):
        return [leaf for i, value in enumerate(node) for leaf in leaves(value, (*prefix, i))]
    return [(prefix, node)]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


LEAVES = leaves(BASELINE)
NUMERIC = [key for key, value in LEAVES if is_number(value)]
BOUNDED_NUMERIC = [key for key in NUMERIC if any(part in BOUNDED for part in key)]
TEXT = [key for key, value in LEAVES if isinstance(value, str) and key != ("start_date",)]


def model_tables() -> list[tuple[str, type[BaseModel]]]:
    """Every table of the baseline that is a schema section, with its model."""
    tables: list[tuple[str, type[BaseModel]]] = [
        ("", Scenario), ("classification", Classification), ("decay", DecayCurve),
        ("experience", Experience), ("patience", Patience), ("crm", Crm),
        ("blocked_review", BlockedReview), ("activation", ActivationFacts),
        ("customer_success", CustomerSuccess), ("monitoring", Monitoring)]
    tables += [(f"business_lines.{name}", BusinessLine) for name in BASELINE["business_lines"]]
    for name in BASELINE["channels"]:
        tables += [(f"channels.{name}", Channel), (f"channels.{name}.quality", Quality),
                   (f"channels.{name}.deal_size", DealSize),
                   (f"channels.{name}.decay", DecayCurve)]
    tables += [("channels.sem.response", Response)]
    for name in BASELINE["teams"]:
        tables += [(f"teams.{name}", Team), (f"teams.{name}.calendar", Calendar),
                   (f"teams.{name}.attempt_minutes", Duration),
                   (f"teams.{name}.cycle_days", CycleDays)]
    return tables


def set_path(key: Key) -> str:
    """The ``--set`` spelling of a key path: dots, list items by number."""
    return ".".join(str(part) for part in key)


def error_path(key: Key) -> str:
    """The spelling of a key path in error messages: list items in brackets."""
    path = ""
    for part in key:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return value
    return repr(value)


def run_with(path: str, value: str, out: Path, capsys: pytest.CaptureFixture[str]
             ) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["run", "baseline", "--days", "2", "-n", "1", "-q", "-o", str(out),
                 "--set", f"{path}={value}"])
    return code, capsys.readouterr().err


def assert_rejected(code: int, err: str, path: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert path in err


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("property-runs") / "run"


# --- wrong values at random field paths -----------------------------------------------------

negative_numbers = st.one_of(
    st.integers(max_value=-1),
    st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
    st.integers(min_value=10**6, max_value=10**40).map(lambda n: -n),
)


@PROPERTY_SETTINGS
@given(key=st.sampled_from(NUMERIC), value=negative_numbers)
def test_negative_number_anywhere_is_rejected_naming_the_field(
        key: Key, value: float, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_with(set_path(key), repr(value), out, capsys)

    assert_rejected(code, err, error_path(key))
    assert not out.exists()


def not_a_number(text: str) -> bool:
    if text.strip().lower() in {"true", "false"}:
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


words = st.from_regex(r"[A-Za-z_][A-Za-z_ ]{0,15}", fullmatch=True).filter(not_a_number)


@PROPERTY_SETTINGS
@given(key=st.sampled_from(NUMERIC), value=words)
def test_text_where_a_number_goes_is_rejected_naming_the_field(
        key: Key, value: str, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_with(set_path(key), value, out, capsys)

    assert_rejected(code, err, error_path(key))


@PROPERTY_SETTINGS
@given(key=st.sampled_from(TEXT), value=st.integers(min_value=-10**20, max_value=10**20))
def test_number_where_text_goes_is_rejected_naming_the_field(
        key: Key, value: int, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_with(set_path(key), repr(value), out, capsys)

    assert_rejected(code, err, error_path(key))


@PROPERTY_SETTINGS
@given(key=st.sampled_from(BOUNDED_NUMERIC),
       value=st.integers(min_value=10**5, max_value=10**40))
@example(key=("customer_success", "headcount"), value=10**5)
def test_huge_number_in_a_bounded_field_is_rejected_naming_the_field(
        key: Key, value: int, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_with(set_path(key), repr(value), out, capsys)

    assert_rejected(code, err, error_path(key))


@st.composite
def wrong_length_profiles(draw: st.DrawFn) -> tuple[str, list[float]]:
    channel = draw(st.sampled_from(sorted(BASELINE["channels"])))
    profile = draw(st.sampled_from(sorted(PROFILES)))
    length = draw(st.integers(0, 40).filter(lambda n: n != PROFILES[profile]))
    weights = draw(st.lists(st.floats(0.1, 5.0), min_size=length, max_size=length))
    return f"channels.{channel}.{profile}", weights


@PROPERTY_SETTINGS
@given(case=wrong_length_profiles())
def test_profile_of_the_wrong_length_is_rejected_naming_the_field(
        case: tuple[str, list[float]], out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, weights = case

    code, err = run_with(path, toml_value(weights), out, capsys)

    assert_rejected(code, err, path)
    assert "needs exactly" in err


@st.composite
def unknown_keys(draw: st.DrawFn) -> str:
    table, model = draw(st.sampled_from(model_tables()))
    key = draw(st.from_regex(r"[a-z][a-z_]{0,14}", fullmatch=True).filter(
        lambda name: name not in model.model_fields))
    return f"{table}.{key}" if table else key


@PROPERTY_SETTINGS
@given(path=unknown_keys())
def test_unknown_field_anywhere_is_rejected_naming_the_field(
        path: str, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_with(path, "1", out, capsys)

    assert_rejected(code, err, path)
    assert "unknown field" in err


# --- parse_override -------------------------------------------------------------------------


@st.composite
def nested_values(draw: st.DrawFn) -> str:
    """Arrays and inline tables nested to any depth, some of them unbalanced."""
    depth = draw(st.integers(0, 3000))
    opening = draw(st.sampled_from(["[", "{ a = "]))
    closing = "]" if opening == "[" else " }"
    balanced = draw(st.booleans())
    return opening * depth + "1" + (closing * depth if balanced else "")


override_texts = st.one_of(
    st.text(),
    st.builds(lambda path, value: f"{path}={value}", st.text(), st.text()),
    st.builds(lambda path, value: f"{path}={value}",
              st.from_regex(r"[a-z_.0-9]{1,20}", fullmatch=True), nested_values()),
)


@settings(max_examples=300, deadline=None)
@given(text=override_texts)
@example(text="days=" + "[" * 1000)
def test_parse_override_raises_nothing_but_input_error(text: str) -> None:
    try:
        override = parse_override(text)
    except InputError as error:
        assert error.file == "--set"
        return

    assert override.path == text.partition("=")[0].strip()
    assert override.path
