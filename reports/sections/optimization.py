"""9. Optimization: the history, the frontier, parameter importances, the chosen policy and
its difference from the baseline policy.

The optimize directory is read leniently, because each file is optional:

- ``trials.csv``: one row per trial. ``number`` is the trial number, ``state`` its state
  (rows other than COMPLETE are left out of the plots), ``values_<objective>`` (or
  ``value``) the objective values, ``params_<path>`` the parameters. A column
  ``user_attrs_feasible`` (true/false) marks trials that met the experience limits.
- ``pareto.json``: the frontier, a list (or ``{"trials": [...]}``) of trials with
  ``number``, ``values`` (a mapping by objective, or a list in objective order) and
  ``params``.
- ``selection.json``: the chosen trial and why; ``objectives`` and ``directions`` name the
  objectives and whether each is maximized; ``baseline_policy`` names the policy the choice
  is compared with.
- ``importances.json``: parameter -> importance, or objective -> (parameter -> importance).
- ``best_policy.toml``: the chosen policy file.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from reports import charts
from reports import formatting as fmt
from reports.blocks import Code, Figure, Section, Table, Text
from reports.loading import CsvTable, OptimizationData, Source, to_number
from reports.policydiff import baseline_policy, complete_policy, flatten, policy_diff

MAX_OBJECTIVES = 3
# Beyond this many trials a plot shows every k-th one, so that the page stays small.
MAX_TRIAL_POINTS = 2000


def build(source: Source) -> Section | None:
    data = source.optimization
    if data is None:
        return None
    section = Section("optimization", "Optimization")
    objectives = _objectives(data)
    trials = _completed(data.trials) if data.trials is not None else None
    if trials is not None and objectives:
        section.add(Text(f"{len(trials)} completed trials; objectives: "
                         f"{', '.join(objectives)}."))
        for name in objectives[:MAX_OBJECTIVES]:
            section.add(Figure(f"history_{_slug(name)}", _history(data, trials, name)))
    front = _front(data, objectives)
    if front and len(objectives) >= 2:
        section.add(Figure("pareto_front", _pareto(data, trials, front, objectives[:2])))
    elif front:
        section.add(Text(f"The frontier has {len(front)} trials.", "note"))
    if data.importances:
        section.add(Figure("parameter_importances", _importances(data.importances)))
    section.add(*_choice(data, source))
    return section


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_") or "objective"


def _objectives(data: OptimizationData) -> list[str]:
    """Objective names: from selection.json, else from the value columns of trials.csv."""
    named = (data.selection or {}).get("objectives")
    if isinstance(named, list) and named:
        return [str(name) for name in named]
    if isinstance(named, dict) and named:
        return [str(name) for name in named]
    if data.trials is None:
        return []
    found = [c.removeprefix("values_") for c in data.trials.columns if c.startswith("values_")]
    return found or (["value"] if "value" in data.trials.columns else [])


def _value_column(trials: CsvTable, name: str) -> str | None:
    for column in (f"values_{name}", name, "value"):
        if column in trials.columns:
            return column
    return None


def _completed(trials: CsvTable) -> CsvTable:
    if "state" not in trials.columns:
        return trials
    return CsvTable(trials.columns, [row for row in trials.rows
                                     if row.get("state", "").upper() in ("COMPLETE", "")])


def _directions(data: OptimizationData) -> dict[str, str]:
    directions = (data.selection or {}).get("directions") or {}
    objectives = (data.selection or {}).get("objectives")
    if isinstance(directions, list) and isinstance(objectives, list):
        return {str(o): str(d) for o, d in zip(objectives, directions, strict=False)}
    if isinstance(objectives, dict):
        return {str(o): str(d) for o, d in objectives.items()}
    return {str(k): str(v) for k, v in directions.items()} if isinstance(directions, dict) \
        else {}


def _history(data: OptimizationData, trials: CsvTable, name: str) -> go.Figure:
    column = _value_column(trials, name)
    numbers = trials.numbers("number") if "number" in trials.columns else [
        float(i) for i in range(len(trials))]
    values: list[float | None] = trials.numbers(column) if column else [None] * len(trials)
    fig = charts.figure(f"Optimization history: {name}")
    feasible = _feasible(trials)
    for flag, label, color in ((True, "feasible", charts.COLORS[0]),
                               (False, "over the experience limits", charts.COLORS[7])):
        keep = [i for i, f in enumerate(feasible) if f is flag or (flag and f is None)]
        if keep:
            x, y = charts.thin([numbers[i] for i in keep], [values[i] for i in keep],
                               MAX_TRIAL_POINTS)
            fig.add_trace(go.Scatter(x=charts.compact(x), y=y, mode="markers", name=label,
                                     marker={"color": color, "size": 6}))
    usable = [v if f is not False else None for v, f in zip(values, feasible, strict=True)]
    best = _best_so_far(usable, _directions(data).get(name, ""))
    if best is not None:
        x, y = charts.thin(numbers, best, MAX_TRIAL_POINTS)
        fig.add_trace(go.Scatter(x=charts.compact(x), y=y, mode="lines",
                                 name="best feasible so far",
                                 line={"color": charts.COLORS[1], "shape": "hv"}))
    fig.update_layout(xaxis={"title": {"text": "Trial"}},
                      yaxis=fmt.axis(fmt.plot_text(name), fmt.unit_of(name)))
    return fig


def _feasible(trials: CsvTable) -> list[bool | None]:
    column = next((c for c in trials.columns if c in ("user_attrs_feasible", "feasible")), None)
    if column is None:
        return [None] * len(trials)
    return [row.get(column, "").strip().lower() in ("true", "1", "yes") for row in trials.rows]


def _best_so_far(values: list[float | None], direction: str) -> list[float | None] | None:
    if direction not in ("maximize", "minimize"):
        return None
    best: float | None = None
    running: list[float | None] = []
    for value in values:
        if value is not None and (best is None or (value > best if direction == "maximize"
                                                   else value < best)):
            best = value
        running.append(best)
    return running


def _front(data: OptimizationData, objectives: list[str]) -> list[dict[str, Any]]:
    pareto = data.pareto
    if isinstance(pareto, dict):
        pareto = pareto.get("trials") or pareto.get("front") or []
    if not isinstance(pareto, list):
        return []
    front = []
    for entry in pareto:
        if not isinstance(entry, dict):
            continue
        values = entry.get("values")
        if isinstance(values, list):
            values = dict(zip(objectives, values, strict=False))
        front.append({**entry, "values": values if isinstance(values, dict) else {}})
    return front


def _pareto(data: OptimizationData, trials: CsvTable | None, front: list[dict[str, Any]],
            pair: list[str]) -> go.Figure:
    x_name, y_name = pair
    fig = charts.figure(f"Frontier: {x_name} against {y_name}")
    if trials is not None:
        x_column, y_column = _value_column(trials, x_name), _value_column(trials, y_name)
        if x_column and y_column:
            x, y = charts.thin(trials.numbers(x_column), trials.numbers(y_column),
                               MAX_TRIAL_POINTS)
            fig.add_trace(go.Scatter(x=charts.compact(x), y=y,
                                     mode="markers", name="all trials",
                                     marker={"color": "#bbbbbb", "size": 5}))
    ordered = sorted(front, key=lambda e: to_number(str(e["values"].get(x_name))) or 0.0)
    fig.add_trace(go.Scatter(
        x=charts.compact([to_number(str(e["values"].get(x_name))) for e in ordered]),
        y=charts.compact([to_number(str(e["values"].get(y_name))) for e in ordered]),
        mode="lines+markers", name="frontier", text=[str(e.get("number", "")) for e in ordered],
        hovertemplate="trial %{text}<extra></extra>", marker={"color": charts.COLORS[0]}))
    chosen = _chosen_values(data, front)
    if chosen is not None:
        fig.add_trace(go.Scatter(x=[chosen.get(x_name)], y=[chosen.get(y_name)],
                                 mode="markers", name="chosen",
                                 marker={"symbol": "star", "size": 16,
                                         "color": charts.COLORS[1]}))
    fig.update_layout(xaxis=fmt.axis(fmt.plot_text(x_name), fmt.unit_of(x_name)),
                      yaxis=fmt.axis(fmt.plot_text(y_name), fmt.unit_of(y_name)))
    return fig


def _chosen_values(data: OptimizationData, front: list[dict[str, Any]]
                   ) -> dict[str, Any] | None:
    selection = data.selection or {}
    values = selection.get("values")
    if isinstance(values, dict):
        return values
    number = selection.get("trial", selection.get("number"))
    for entry in front:
        if number is not None and entry.get("number") == number:
            return dict(entry["values"])
    return None


def _importances(importances: dict[str, Any]) -> go.Figure:
    nested = all(isinstance(v, dict) for v in importances.values())
    per_objective = importances if nested else {"importance": importances}
    fig = charts.figure("Parameter importances")
    for name, table in per_objective.items():
        ranked = sorted(((str(p), to_number(str(v)) or 0.0) for p, v in table.items()),
                        key=lambda item: item[1])
        fig.add_trace(go.Bar(y=[fmt.plot_text(p) for p, _ in ranked],
                             x=charts.compact([v for _, v in ranked]), orientation="h",
                             name=fmt.plot_text(name)))
    fig.update_layout(barmode="group", xaxis={"title": {"text": "Importance (share)"},
                                              "tickformat": ".0%"},
                      yaxis={"type": "category", "automargin": True},
                      height=160 + 26 * max(len(t) for t in per_objective.values()))
    return fig


def _choice(data: OptimizationData, source: Source) -> list[Text | Table | Code]:
    blocks: list[Text | Table | Code] = []
    if data.selection:
        rows = [[path, _show(value)] for path, value in flatten(data.selection).items()]
        blocks.append(Table("selection", "The chosen policy: selection", ["field", "value"],
                            rows))
    if data.best_policy is not None:
        baseline, label, note = baseline_policy(data, source)
        chosen, problem = complete_policy(data.best_policy)
        changes = policy_diff(baseline, chosen) if baseline is not None else []
        blocks += [Text(text, "note") for text in (note, problem) if text]
        if baseline is not None:
            blocks.append(Table(
                "policy_diff", f"Chosen policy against the baseline policy ({label})",
                ["field", "baseline", "chosen"],
                [[path, _show(old), _show(new)] for path, old, new in changes]
                or [["(no difference)", "", ""]]))
    if data.best_policy_text is not None:
        blocks.append(Code("best_policy.toml", data.best_policy_text))
    return blocks


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, list):
        return ", ".join(_show(item) for item in value) or "(empty)"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
