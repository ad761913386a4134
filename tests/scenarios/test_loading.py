"""Loading scenario files: bundled names and paths, fingerprints, and errors that name the field."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import scenarios
from leadops.errors import InputError
from scenarios import BUNDLED_DIR, Scenario, bundled_scenarios, fingerprint, load_scenario
from scenarios.files import validate_model
from sim.arrivals import mean_leads_per_day

BASELINE = BUNDLED_DIR / "baseline.toml"
BUNDLED = ("baseline", "mmc", "mmc_patience")


def baseline_text() -> str:
    return BASELINE.read_text(encoding="utf-8")


def baseline_data() -> dict[str, Any]:
    return tomllib.loads(baseline_text())


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_typo(section: str, old: str, new: str) -> str:
    """Baseline text with the first ``old`` after the ``section`` header replaced by ``new``."""
    text = baseline_text()
    start = text.index(section) if section else 0
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old):]


# --- bundled scenarios ----------------------------------------------------------------------


def test_bundled_scenarios_lists_every_bundled_file_with_a_description() -> None:
    listed = bundled_scenarios()

    assert sorted(listed) == sorted(BUNDLED)
    assert all(listed[name] and "\n" not in listed[name] for name in BUNDLED)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_loads_by_name_and_by_path_alike(name: str) -> None:
    by_name = load_scenario(name)
    by_path = load_scenario(str(BUNDLED_DIR / f"{name}.toml"))

    assert isinstance(by_name, Scenario)
    assert by_name.name == name
    assert by_name == by_path


def test_scenario_copied_elsewhere_loads_from_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, baseline_text(), "copy.toml")

    assert load_scenario(str(path)) == load_scenario("baseline")


def test_scenarios_package_exports_what_it_names() -> None:
    assert all(hasattr(scenarios, name) for name in scenarios.__all__)


# --- fingerprints ---------------------------------------------------------------------------


def test_fingerprint_is_a_stable_sha256() -> None:
    first = fingerprint(load_scenario("baseline"))

    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert fingerprint(load_scenario("baseline")) == first
    assert fingerprint(load_scenario(str(BASELINE))) == first


def test_fingerprint_ignores_comments_and_key_order(tmp_path: Path) -> None:
    text = baseline_text()
    reordered = "# a comment that changes nothing\n" + text.replace(
        'currency = "USD"\n', "").replace("days = 365\n", 'days = 365\ncurrency = "USD"\n')
    path = write(tmp_path, reordered)

    assert fingerprint(load_scenario(str(path))) == fingerprint(load_scenario("baseline"))


def test_fingerprints_of_bundled_scenarios_differ() -> None:
    prints = {fingerprint(load_scenario(name)) for name in BUNDLED}

    assert len(prints) == len(BUNDLED)


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every scalar value in the raw file data, as a key path (list items by index)."""
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in leaf_paths(value, (*prefix, key))]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in leaf_paths(value, (*prefix, i))]
    return [prefix]


def replaced(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copy = _deep_copy(data)
    node: Any = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def _deep_copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _deep_copy(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_deep_copy(value) for value in node]
    return node


def alternatives(value: Any) -> list[Any]:
    """Other values of the same kind, to try in order until one validates."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1]
    if isinstance(value, float):
        return [value * 0.5 if value else 0.5, value + 0.5]
    if isinstance(value, dt.date):
        return [value + dt.timedelta(days=1)]
    return [f"{value}x", "exponential", "fixed", "referral", "field", "telesales", "south",
            "north", "realtime", "software", "services", "conversion_rate", "leads", "weekly",
            "daily", "rise", "above", "below"]


def test_fingerprint_changes_with_any_value_of_the_file() -> None:
    data = baseline_data()
    original = fingerprint(validate_model(Scenario, data, file="baseline.toml"))
    untested = []

    for path in leaf_paths(data):
        node: Any = data
        for key in path:
            node = node[key]
        for candidate in alternatives(node):
            if candidate == node:
                continue
            try:
                changed = validate_model(Scenario, replaced(data, path, candidate), file="x")
            except InputError:
                continue
            assert fingerprint(changed) != original, path
            break
        else:
            untested.append(path)

    # A region cannot be renamed alone while channels use it; the prospecting key-account
    # team needs its one outbound channel, and customer success its one referral channel
    # (by kind and by name); the two follow-up warnings judge chosen weekdays, which only
    # daily rules may; the backlog warning watches one line's public pool, which only a
    # public pool_backlog may. Every other value was changed.
    assert sorted(untested, key=str) == sorted(
        [("regions", 0), ("regions", 1), ("regions", 2), ("channels", "outbound", "kind"),
         ("channels", "referral", "kind"), ("customer_success", "referral_channel"),
         ("monitoring", "rules", 0, "period"), ("monitoring", "rules", 1, "period"),
         ("monitoring", "rules", 4, "metric"), ("monitoring", "rules", 4, "pool")],
        key=str)


# --- unknown fields -------------------------------------------------------------------------


UNKNOWN_FIELDS = [
    # (section header, text to replace, replacement, dotted path, suggestion)
    ("", "days = 365", "dayz = 365", "dayz", "days"),
    ("[channels.sem]", "monthly_spend = ", "monthly_spnd = ", "channels.sem.monthly_spnd",
     "monthly_spend"),
    ("[channels.seo]", "leads_per_day = ", "leads_per_dy = ", "channels.seo.leads_per_dy",
     "leads_per_day"),
    ("[channels.sem]", "shape = ", "shap = ", "channels.sem.response.shap", "shape"),
    ("[teams.sdr]", "start_hour", "start_hr", "teams.sdr.calendar.start_hr", "start_hour"),
    ("[teams.telesales]", "to_close", "to_clse", "teams.telesales.cycle_days.to_clse",
     "to_close"),
    ("[experience]", "touch_limit", "touch_limt", "experience.touch_limt", "touch_limit"),
    ("[decay]", "slow_half_life_hours", "slow_half_live_hours", "decay.slow_half_live_hours",
     "slow_half_life_hours"),
    ("[business_lines.software]", "gross_margin", "gross_margn",
     "business_lines.software.gross_margn", "gross_margin"),
]


@pytest.mark.parametrize(("section", "old", "new", "path", "suggestion"), UNKNOWN_FIELDS,
                         ids=[case[3] for case in UNKNOWN_FIELDS])
def test_misspelt_field_in_a_file_names_its_path_and_suggests_the_field(
        tmp_path: Path, section: str, old: str, new: str, path: str, suggestion: str) -> None:
    file = write(tmp_path, with_typo(section, old, new), "typo.toml")

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert caught.value.file == "typo.toml"
    assert caught.value.path == path
    assert f"did you mean '{suggestion}'?" in str(caught.value)
    assert str(caught.value).startswith(f"typo.toml: {path}: unknown field")


REQUIRED_TYPOS = [
    ("[teams.sdr]", "headcount = 8", "headcont = 8", "teams.sdr.headcont", "headcount"),
    ("[channels.sem]", "half_saturation_spend", "half_saturaton_spend",
     "channels.sem.response.half_saturaton_spend", "half_saturation_spend"),
    ("[teams.sdr]", "mean_minutes = 10.0", "mean_minute = 10.0",
     "teams.sdr.attempt_minutes.mean_minute", "mean_minutes"),
]


@pytest.mark.parametrize(("section", "old", "new", "path", "suggestion"), REQUIRED_TYPOS,
                         ids=[case[3] for case in REQUIRED_TYPOS])
def test_misspelt_required_field_is_reported_as_the_typo_not_as_missing(
        tmp_path: Path, section: str, old: str, new: str, path: str, suggestion: str) -> None:
    # The typo leaves the required field missing; the message must point at the typo.
    file = write(tmp_path, with_typo(section, old, new), "typo.toml")

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert caught.value.path == path
    assert f"did you mean '{suggestion}'?" in str(caught.value)


def test_extra_field_beside_the_right_one_is_reported_with_a_suggestion(
        tmp_path: Path) -> None:
    file = write(tmp_path, with_typo("[teams.sdr]", "headcount = 8", "headcount = 8\nheadcont = 8"))

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert caught.value.path == "teams.sdr.headcont"
    assert "unknown field 'headcont'; did you mean 'headcount'?" in str(caught.value)


def test_unknown_field_without_a_close_match_lists_the_allowed_fields(tmp_path: Path) -> None:
    file = write(tmp_path, "zebra = 1\n" + baseline_text())

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert caught.value.path == "zebra"
    assert "unknown field 'zebra' (allowed: " in str(caught.value)
    assert "channels" in str(caught.value) and "teams" in str(caught.value)


# --- files that cannot be read --------------------------------------------------------------


def test_bad_toml_syntax_names_the_file(tmp_path: Path) -> None:
    file = write(tmp_path, baseline_text().replace("days = 365", "days = = 365"), "bad.toml")

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert "bad.toml" in str(caught.value)
    assert "is not valid TOML" in str(caught.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(InputError) as caught:
        load_scenario(str(missing))

    assert caught.value.file == str(missing)
    assert "no such file" in str(caught.value)


def test_unknown_bundled_name_lists_the_bundled_ones_and_suggests() -> None:
    with pytest.raises(InputError) as caught:
        load_scenario("baselin")

    assert caught.value.file == "baselin"
    assert "baseline, mmc, mmc_patience" in str(caught.value)
    assert "did you mean 'baseline'?" in str(caught.value)


@pytest.mark.parametrize(("name", "content"), [
    ("leads.csv", "lead_id,channel,created_at\n1,seo,2026-01-05\n"),
    ("scenario.json", '{"name": "baseline", "days": 365}\n'),
    ("notes.toml", "This is a note, not a scenario.\n"),
])
def test_file_that_is_not_toml_names_the_file(tmp_path: Path, name: str, content: str) -> None:
    file = write(tmp_path, content, name)

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert name in str(caught.value)
    assert "is not valid TOML" in str(caught.value)


def test_binary_file_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "image.toml"
    file.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00")

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert "image.toml" in str(caught.value)


def test_directory_instead_of_a_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_scenario(str(tmp_path))

    assert str(tmp_path) in str(caught.value)


def test_deeply_nested_toml_is_an_input_error(tmp_path: Path) -> None:
    file = write(tmp_path, "x = " + "[" * 3000 + "\n", "deep.toml")

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert "deep.toml" in str(caught.value)


def test_toml_without_required_sections_names_the_missing_field(tmp_path: Path) -> None:
    file = write(tmp_path, 'name = "empty"\n', "empty.toml")

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert caught.value.file == "empty.toml"
    assert caught.value.path == "business_lines"
    assert "is required but missing" in str(caught.value)


# --- the baseline meets its brief -----------------------------------------------------------


def test_baseline_has_six_organic_and_paid_channels_of_the_brief() -> None:
    baseline = load_scenario("baseline")
    kinds = {channel.kind for channel in baseline.channels.values()}

    assert len(baseline.channels) >= 6
    assert {"organic", "paid"} <= kinds
    assert {"seo", "website_chat", "hotline", "sem", "events",
            "partner_referral"} <= set(baseline.channels)
    assert {baseline.channels[name].kind for name in ("seo", "website_chat", "hotline")} == {
        "organic"}
    assert {baseline.channels[name].kind for name in ("sem", "events",
                                                      "partner_referral")} == {"paid"}


def test_baseline_has_business_lines_regions_and_every_sales_role() -> None:
    baseline = load_scenario("baseline")
    roles = {team.role for team in baseline.teams.values()}

    assert len(baseline.business_lines) >= 2
    assert len(baseline.regions) >= 3
    assert {"sdr", "telesales", "field", "key_account"} <= roles
    assert all(team.headcount > 0 for team in baseline.teams.values())


def test_baseline_yearly_volume_is_between_30k_and_60k_leads() -> None:
    baseline = load_scenario("baseline")
    per_day = sum(mean_leads_per_day(channel) for channel in baseline.channels.values())

    yearly = per_day * baseline.volume_scale * 365

    assert 30_000 <= yearly <= 60_000
    assert yearly == pytest.approx(37_049, rel=0.01)  # "about 37,000" says the file


def test_more_than_255_languages_is_a_clear_error(tmp_path: Path) -> None:
    names = ", ".join(f'"l{index}"' for index in range(256))
    file = write(tmp_path, f"languages = [{names}]\n" + baseline_text())

    with pytest.raises(InputError) as caught:
        load_scenario(str(file))

    assert "languages may name at most 255 entries" in str(caught.value)
    assert "given 256" in str(caught.value)
