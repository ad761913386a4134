"""``--set PATH=VALUE`` overrides: typing of values, assignment into file data, validation."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from leadops.errors import InputError
from scenarios import Override, load_scenario, parse_override
from scenarios.overrides import apply_overrides

# --- parse_override -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("days=30", 30),
    ("days=-5", -5),
    ("rate=0.25", 0.25),
    ("rate=1e3", 1000.0),
    ("enabled=true", True),
    ("enabled=false", False),
    ('name="two words"', "two words"),
    ("name='literal'", "literal"),
    ("weekdays=[0, 1, 2]", [0, 1, 2]),
    ('mix=["a", 1.5]', ["a", 1.5]),
    ("quality={ mean = 0.3, concentration = 6 }", {"mean": 0.3, "concentration": 6}),
    ("start_date=2026-02-02", dt.date(2026, 2, 2)),
    ("name=hotline", "hotline"),
    ("name=two words", "two words"),
    ("name=", ""),
    ("formula=a=b", "a=b"),
    ("rate=0.3.1", "0.3.1"),
])
def test_value_is_read_as_toml_else_as_a_string(text: str, value: Any) -> None:
    override = parse_override(text)

    assert override.value == value
    assert type(override.value) is type(value)


def test_path_and_value_are_stripped_of_spaces() -> None:
    assert parse_override("  channels.sem.monthly_spend =  1000 ") == Override(
        "channels.sem.monthly_spend", 1000)


def test_override_shows_as_path_equals_value() -> None:
    assert str(parse_override("channels.sem.monthly_spend=1000")) == (
        "channels.sem.monthly_spend=1000")
    assert str(parse_override("name=hotline")) == "name='hotline'"


@pytest.mark.parametrize("text", ["days", "", "=5", "  =5", " "])
def test_override_without_path_or_equals_sign_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_override(text)

    assert caught.value.file == "--set"
    assert "expected PATH=VALUE" in str(caught.value)
    assert repr(text) in str(caught.value)


# --- apply_overrides ------------------------------------------------------------------------


def sample() -> dict[str, Any]:
    return {
        "days": 10,
        "regions": ["north", "south", "west"],
        "teams": {"sdr": {"headcount": 2, "calendar": {"weekdays": [0, 1]}}},
        "rules": [{"team": "a"}, {"team": "b"}],
    }


def apply(data: dict[str, Any], *texts: str) -> dict[str, Any]:
    return apply_overrides(data, [parse_override(text) for text in texts])


def test_override_replaces_a_nested_value() -> None:
    result = apply(sample(), "teams.sdr.headcount=5", "days=20")

    assert result["teams"]["sdr"]["headcount"] == 5
    assert result["days"] == 20


def test_override_creates_missing_tables_on_its_path() -> None:
    result = apply(sample(), "teams.field.calendar.start_hour=8.0", "patience.enabled=true")

    assert result["teams"]["field"] == {"calendar": {"start_hour": 8.0}}
    assert result["patience"] == {"enabled": True}
    assert result["teams"]["sdr"] == sample()["teams"]["sdr"]


def test_override_addresses_list_items_by_number() -> None:
    result = apply(sample(), "regions.0=east", "teams.sdr.calendar.weekdays.1=4",
                   "rules.1.team=c")

    assert result["regions"] == ["east", "south", "west"]
    assert result["teams"]["sdr"]["calendar"]["weekdays"] == [0, 4]
    assert result["rules"] == [{"team": "a"}, {"team": "c"}]


def test_later_override_of_the_same_path_wins() -> None:
    assert apply(sample(), "days=1", "days=2")["days"] == 2


def test_override_may_replace_a_whole_table_or_list() -> None:
    result = apply(sample(), "teams.sdr={ headcount = 1 }", "regions=[\"all\"]")

    assert result["teams"]["sdr"] == {"headcount": 1}
    assert result["regions"] == ["all"]


@pytest.mark.parametrize(("text", "shown"), [
    ("regions.3=east", "'3'"),
    ("regions.-1=east", "'-1'"),
    ("regions.first=east", "'first'"),
    ("rules.9.team=c", "'9'"),
])
def test_bad_list_index_is_an_input_error_naming_the_range(text: str, shown: str) -> None:
    with pytest.raises(InputError) as caught:
        apply(sample(), text)

    assert caught.value.path == text.partition("=")[0]
    assert caught.value.reason.startswith("list index must be 0..")
    assert shown in caught.value.reason


def test_bad_list_index_names_the_allowed_range() -> None:
    with pytest.raises(InputError) as caught:
        apply(sample(), "regions.5=east")

    assert caught.value.reason == "list index must be 0..2, got '5'"


def test_path_through_a_single_value_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        apply(sample(), "days.total=3")

    assert caught.value.path == "days.total"
    assert "'days' holds a single value" in str(caught.value)


def test_apply_overrides_does_not_mutate_its_input() -> None:
    data = sample()
    before = copy.deepcopy(data)

    result = apply(data, "teams.sdr.headcount=9", "regions.0=east", "teams.sdr.calendar.x=1",
                   "rules.0.team=z", "new.table.value=1")

    assert data == before
    assert result != before


def test_no_overrides_give_an_equal_copy() -> None:
    data = sample()

    result = apply_overrides(data, [])

    assert result == data
    assert result is not data
    assert result["teams"] is not data["teams"]


# --- overrides are validated like the file --------------------------------------------------


def load_baseline(*texts: str) -> Any:
    return load_scenario("baseline", [parse_override(text) for text in texts])


def test_valid_override_changes_the_loaded_scenario() -> None:
    scenario = load_baseline("channels.sem.monthly_spend=90000", "teams.sdr.headcount=3")

    assert scenario.channels["sem"].monthly_spend == 90000.0
    assert scenario.teams["sdr"].headcount == 3
    assert load_scenario("baseline").channels["sem"].monthly_spend == 120000.0


def test_negative_spend_override_is_rejected_like_a_file_value() -> None:
    with pytest.raises(InputError) as caught:
        load_baseline("channels.sem.monthly_spend=-5")

    assert caught.value.file == "baseline.toml"
    assert caught.value.path == "channels.sem.monthly_spend"
    assert "must be >= 0" in str(caught.value)
    assert "got -5" in str(caught.value)


@pytest.mark.parametrize(("text", "path", "words"), [
    ("channels.sem.monthly_spnd=5", "channels.sem.monthly_spnd", "did you mean 'monthly_spend'"),
    ("teams.sdr.headcont=5", "teams.sdr.headcont", "did you mean 'headcount'"),
    ("dayz=5", "dayz", "did you mean 'days'"),
    ("days=abc", "days", "must be a whole number, got 'abc'"),
    ("days=1.5", "days", "must be a whole number, got 1.5"),
    ("teams.sdr.connect_rate=1.5", "teams.sdr.connect_rate", "must be <= 1"),
    ("channels.seo.kind=social", "channels.seo.kind", "got 'social'"),
    ("channels.seo.weekday_profile=[1, 2]", "channels.seo.weekday_profile",
     "needs exactly 7 values"),
    ("channels.seo.hour_profile.2=-1", "channels.seo.hour_profile[2]", "got -1"),
    ("teams.sdr.calendar.weekdays.0=7", "teams.sdr.calendar.weekdays[0]", "must be <= 6"),
])
def test_bad_override_names_the_field_and_what_is_wrong(text: str, path: str,
                                                        words: str) -> None:
    with pytest.raises(InputError) as caught:
        load_baseline(text)

    assert caught.value.path == path
    assert words in str(caught.value)
