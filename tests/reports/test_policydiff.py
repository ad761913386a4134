"""An optimized policy's difference from the baseline, field by field."""

from __future__ import annotations

from reports.policydiff import complete_policy, flatten, policy_diff


def test_flatten_names_nested_fields_by_path() -> None:
    nested = {"a": {"b": 1, "c": [1, 2]}, "rules": [{"team": "x"}, {"team": "y"}]}

    assert flatten(nested) == {"a.b": 1, "a.c": [1, 2], "rules[0].team": "x",
                               "rules[1].team": "y"}


def test_diff_lists_changed_added_and_removed_fields_but_not_the_name() -> None:
    old = {"name": "a", "x": {"y": 1, "z": 2}, "gone": True}
    new = {"name": "b", "x": {"y": 1, "z": 3}, "added": "yes"}

    assert policy_diff(old, new) == [("added", None, "yes"), ("gone", True, None),
                                     ("x.z", 2, 3)]


def test_a_partial_policy_is_completed_with_defaults_before_the_diff() -> None:
    partial = {"name": "p", "routing": {"rules": [{"name": "all", "team": "reps"}]}}

    complete, problem = complete_policy(partial)

    assert problem == ""
    assert complete["follow_up"]["max_attempts"] > 0


def test_an_invalid_policy_is_shown_as_written() -> None:
    raw = {"name": "p", "routing": {"rules": []}, "nonsense": 1}

    shown, problem = complete_policy(raw)

    assert shown == raw
    assert "not a valid policy" in problem
