"""What an optimization tells whoever watches it. The library itself prints nothing: the
command line passes a watcher that draws progress bars; the default one stays silent."""

from __future__ import annotations

from collections.abc import Sequence

from optuna.trial import FrozenTrial

from optimize.objective import Search


class Watcher:
    """Hooks called as an optimization goes; every one does nothing here."""

    def search(self, name: str, storage: str, done: int, search: Search,
               recovered: list[int]) -> None:
        """The search starts: study name, storage as shown, trials already counted."""

    def trial(self, trial: FrozenTrial, trials: Sequence[FrozenTrial]) -> None:
        """A trial finished; ``trials`` are all the study's trials at that moment."""

    def stage(self, label: str, runs: int | None) -> None:
        """A stage of simulation runs starts (selection, re-evaluation, final report)."""

    def run(self) -> None:
        """One simulation run of the current stage finished."""

    def note(self, text: str) -> None:
        """Something worth a line: recovered trials, waiting for other machines."""
