"""Terminal side of ``leadops optimize``: a bar over trials, a line per finished trial with
the running best as the selection stage will judge it, bars over the later stages, and the
final table of the chosen policy against the baseline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from optuna.trial import FrozenTrial, TrialState
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from rich.table import Table

from leadops.console import _err, _out, fmt
from optimize.goals import Estimate
from optimize.objective import Search, counts
from optimize.trials import running_best, searched
from optimize.watch import Watcher


class ConsoleWatcher(Watcher):
    """Draws progress on stderr while an optimization runs."""

    def __init__(self, bar: Progress):
        self.bar = bar
        self.task: TaskID | None = None
        self.search_task: Search | None = None

    def search(self, name: str, storage: str, done: int, search: Search,
               recovered: list[int]) -> None:
        self.search_task = search
        self._say(f"study '{name}' in {storage}: {done} of {search.trials} trials done")
        if recovered:
            self._say(f"trials {', '.join(map(str, recovered))} were running when their worker "
                      f"died: marked failed and queued again")
        self._new_task("search", search.trials, min(done, search.trials))

    def trial(self, trial: FrozenTrial, trials: Sequence[FrozenTrial]) -> None:
        if self.search_task is None:
            return
        if counts(trial) and self.task is not None:
            self.bar.advance(self.task)
        self._say(trial_line(trial, trials, self.search_task))

    def stage(self, label: str, runs: int | None) -> None:
        self._new_task(label, runs, 0)

    def run(self) -> None:
        if self.task is not None:
            self.bar.advance(self.task)

    def note(self, text: str) -> None:
        self._say(text)

    def _new_task(self, label: str, total: int | None, done: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(label, total=total, completed=done)

    def _say(self, text: str) -> None:
        self.bar.console.print(text, markup=False, highlight=False)


@contextlib.contextmanager
def watching(quiet: bool) -> Iterator[Watcher]:
    if quiet:
        yield Watcher()
        return
    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=_err, transient=True)
    with bar:
        yield ConsoleWatcher(bar)


def trial_line(trial: FrozenTrial, trials: Sequence[FrozenTrial], search: Search) -> str:
    """``trial 7: roi 0.12 ± 0.03 (2 runs), feasible | best so far: trial 3 roi ...``."""
    if trial.state != TrialState.COMPLETE:
        return f"trial {trial.number}: {trial.state.name.lower()}{_why(trial)}"
    record = searched(trial, search)
    if record is None:
        return f"trial {trial.number}: complete"
    first = search.objectives[0].kpi
    own = f"{first} {_estimate(record.found[first])} ({len(record.rows)} runs)"
    verdict = "feasible" if record.feasible else "infeasible"
    if search.constraints:
        own += f", {verdict}"
    if record.pruned:
        own += ", pruned"
    best = running_best(trials, search)
    shown = f"trial {best.number} {first} {_estimate(best.found[first])}" if best else "none yet"
    return f"trial {trial.number}: {own} | best so far: {shown}"


def _why(trial: FrozenTrial) -> str:
    for key in ("invalid", "undefined"):
        if key in trial.user_attrs:
            return f" ({key}: {trial.user_attrs[key]})"
    if trial.user_attrs.get("surplus"):
        return " (surplus: the budget was used up)"
    return ""


def _estimate(value: Estimate) -> str:
    if value.mean is None:
        return "-"
    if value.se is None:
        return fmt(value.mean)
    return f"{fmt(value.mean)} ± {fmt(value.se)}"


def final_table(selection: Mapping[str, Any]) -> None:
    """The measured figures of the chosen policy and the baseline on fresh seeds."""
    final = selection.get("final", {})
    chosen = selection.get("chosen", {}).get("label", "chosen")
    against = "the baseline" if chosen == "baseline" else f"{chosen} against the baseline"
    table = Table(title=f"{against} on {final.get('replications')} fresh replications "
                  f"(seed {final.get('seed')}), 95% intervals", title_justify="left")
    for column in ("figure", "baseline", "chosen", "difference", "bound"):
        table.add_column(column, justify="left" if column in ("figure", "bound") else "right")
    for name, entry in final.get("estimates", {}).items():
        bound = entry.get("bound", "")
        if bound:
            met = entry["chosen"].get("meets_bound")
            bound += " (met)" if met else " (NOT met)"
        table.add_row(name, _interval(entry["baseline"]), _interval(entry["chosen"]),
                      _interval(entry["difference"]), bound)
    _out.print(table)
    if chosen == "baseline":
        _out.print("No candidate beat the baseline on fresh replications: keep the baseline "
                   "policy.", markup=False)


def _interval(value: Mapping[str, Any]) -> str:
    if value.get("mean") is None:
        return "-"
    if value.get("ci_low") is None:
        return fmt(value["mean"])
    return f"{fmt(value['mean'])} ({fmt(value['ci_low'])} .. {fmt(value['ci_high'])})"


def frontier_table(document: Mapping[str, Any]) -> None:
    table = Table(title=f"frontier of {document['objective']['kpi']} against "
                  f"{document['swept']} (final estimates, 95% intervals)", title_justify="left")
    for column in ("bound", "chosen", "objective", "swept", "on frontier"):
        table.add_column(column)
    for point in document["points"]:
        table.add_row(point["bound"], str(point["chosen"]), _interval(point["objective"]),
                      _interval(point["swept"]), "yes" if point["on_frontier"] else "no")
    _out.print(table)
