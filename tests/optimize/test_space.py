"""Search-space files: the schema, name checks and path checks, and their error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadops.cli import main
from leadops.errors import InputError
from optimize.paths import Base, apply, check_paths
from optimize.space import Space, bundled_spaces, load_space
from policies import load_policy
from scenarios import load_scenario

HEADER = 'name = "t"\n[[objectives]]\nkpi = "roi"\ndirection = "maximize"\n'


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "space.toml"
    path.write_text(header + body, encoding="utf-8")
    return path


def error_of(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    return captured.err.strip()


def baseline_base() -> Base:
    scenario = load_scenario("baseline")
    return Base.of(scenario, load_policy("default"), "default.toml")


def test_the_bundled_default_space_fits_the_baseline_scenario() -> None:
    space, file = load_space("default")

    check_paths(space, baseline_base(), file)

    assert "default" in bundled_spaces()
    assert space.objectives[0].kpi == "roi"
    assert {c.kpi for c in space.constraints} == {"harassment_rate", "duplicate_contact_rate"}


def test_validate_accepts_a_space_and_checks_paths_against_a_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '[[parameters]]\npath = "teams.sdr.headcount"\ntype = "int"\n'
                           'low = 2\nhigh = 12\n')

    assert main(["validate", str(path), "--scenario", "baseline"]) == 0
    assert "valid space" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(("body", "where", "says"), [
    ('[[parameters]]\npath = "policy.circulation.sla_hours"\ntype = "float"\nlow = 1.0\n',
     "parameters[0]", "needs low and high"),
    ('[[parameters]]\npath = "x"\ntype = "float"\nlow = 5.0\nhigh = 1.0\n',
     "parameters[0]", "low must be below high"),
    ('[[parameters]]\npath = "x"\ntype = "int"\nlow = 1.5\nhigh = 4\n',
     "parameters[0]", "whole low"),
    ('[[parameters]]\npath = "x"\ntype = "categorical"\nchoices = [1]\n',
     "parameters[0]", "at least two choices"),
    ('[[parameters]]\npath = "x"\ntype = "float"\nlow = 0.0\nhigh = 1.0\nlog = true\n',
     "parameters[0]", "low > 0"),
    ('[[parameters]]\npath = "x"\ntype = "integer"\nlow = 1\nhigh = 2\n',
     "parameters[0].type", "must be one of"),
    ('[[budgets]]\npaths = ["a"]\ntotal = 10.0\n', "budgets[0].paths", "at least 2"),
    ('[[budgets]]\npaths = ["a", "b"]\ntotal = 10.0\nmin_share = 0.6\n', "budgets[0]",
     "min_share"),
    ('[[parameters]]\npath = "x"\ntype = "int"\nlow = 1\nhigh = 2\nlimit = 3\n',
     "parameters[0]", "unknown field 'limit'"),
])
def test_schema_errors_name_the_file_and_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, where: str,
        says: str) -> None:
    message = error_of(capsys, ["validate", str(write(tmp_path, body))])

    assert message.startswith("error: space.toml: " + where)
    assert says in message


def test_a_space_without_parameters_is_refused(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "parameters = []\n" + HEADER, header="")

    message = error_of(capsys, ["validate", str(path)])

    assert "at least one parameter or budget" in message


def test_an_unknown_kpi_gets_a_suggestion(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    header = 'name = "t"\n[[objectives]]\nkpi = "roii"\ndirection = "maximize"\n'
    body = '[[parameters]]\npath = "days"\ntype = "int"\nlow = 5\nhigh = 9\n'

    message = error_of(capsys, ["validate", str(write(tmp_path, body, header))])

    assert "objectives[0].kpi" in message and "did you mean 'roi'" in message


@pytest.mark.parametrize(("body", "where", "says"), [
    ('[[parameters]]\npath = "policy.circulation.sla_hour"\ntype = "float"\nlow = 1.0\n'
     'high = 9.0\n', "parameters[0].path", "did you mean 'sla_hours'"),
    ('[[parameters]]\npath = "teams.closers.headcount"\ntype = "int"\nlow = 1\nhigh = 9\n',
     "parameters[0].path", "no field 'closers' in 'teams'"),
    ('[[parameters]]\npath = "policy.routing.rules.9.sdr"\ntype = "categorical"\n'
     'choices = [true, false]\n', "parameters[0].path", "list index must be 0..4"),
    ('[[parameters]]\npath = "policy.circulation.sla_hours"\ntype = "float"\nlow = 0.0\n'
     'high = 9.0\n', "parameters[0].path", "must be > 0"),
    ('[[parameters]]\npath = "teams.sdr.headcount"\ntype = "float"\nlow = 1.0\nhigh = 9.0\n',
     "parameters[0].path", 'use type = "int"'),
    ('[[parameters]]\npath = "policy.circulation"\ntype = "int"\nlow = 1\nhigh = 9\n',
     "parameters[0].path", "a table or a list"),
    ('[[budgets]]\npaths = ["channels.sem.monthly_spend", "channels.seo.kind"]\n'
     'total = 9.0\n', "budgets[0].paths[1]", "not an amount"),
])
def test_paths_are_checked_against_the_scenario_and_policy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, where: str,
        says: str) -> None:
    message = error_of(capsys, ["validate", str(write(tmp_path, body)), "--scenario",
                                "baseline"])

    assert message.startswith(f"error: space.toml: {where}: ")
    assert says in message


def test_optimize_refuses_a_bad_space_before_writing_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = write(tmp_path, '[[parameters]]\npath = "teams.reps.headcont"\ntype = "int"\n'
                            'low = 1\nhigh = 9\n')
    out = tmp_path / "out"

    message = error_of(capsys, ["optimize", "mmc", "--space", str(space), "-o", str(out),
                                "-q"])

    assert "parameters[0].path" in message and "did you mean 'headcount'" in message
    assert not out.exists()


def test_schema_space_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "space"]) == 0

    schema = json.loads(capsys.readouterr().out)

    assert set(schema["properties"]) >= {"objectives", "constraints", "parameters", "budgets"}


def test_apply_sets_scenario_and_policy_values_and_validates_them() -> None:
    base = baseline_base()

    scenario, policy = apply(base, {"teams.sdr.headcount": 3,
                                    "policy.follow_up.max_attempts": 4})

    assert scenario.teams["sdr"].headcount == 3
    assert policy.follow_up.max_attempts == 4
    with pytest.raises(InputError, match="a > b > c"):
        apply(base, {"policy.grading.b": 0.9})


def test_a_metric_may_not_shadow_a_kpi(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    body = ('[[parameters]]\npath = "days"\ntype = "int"\nlow = 5\nhigh = 9\n'
            '[[metrics]]\nname = "roi"\nterms = [{ coefficient = 1.0, product = ["won"] }]\n')

    message = error_of(capsys, ["validate", str(write(tmp_path, body))])

    assert "metrics[0].name" in message


def test_the_space_model_keeps_paths_in_order() -> None:
    space = Space.model_validate({
        "name": "s", "objectives": [{"kpi": "roi", "direction": "maximize"}],
        "parameters": [{"path": "a", "type": "int", "low": 1, "high": 2}],
        "budgets": [{"paths": ["b", "c"], "total": 1.0}],
    })

    assert space.paths() == ["a", "b", "c"]
    assert space.measured() == ["roi"]


def test_the_readme_space_example_is_valid_for_the_baseline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in readme.split("```toml\n")[1:]]
    example = next(block for block in blocks if 'name = "spend_and_sla"' in block)
    path = tmp_path / "spend_and_sla.toml"
    path.write_text(example, encoding="utf-8")

    assert main(["validate", str(path), "--scenario", "baseline"]) == 0
    space, _ = load_space(str(path))
    assert [b.total for b in space.budgets] == [160000.0]
    assert space.metrics[0].name == "profit"
