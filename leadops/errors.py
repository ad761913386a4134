"""The exceptions leadops raises on purpose.

Every error a user can cause derives from :class:`InputError`; the command line turns it
into a one-line message and exit code 2. Anything else is a bug and exits with 1.
"""

from __future__ import annotations


class LeadopsError(Exception):
    """Base of every error raised on purpose by leadops."""


class InputError(LeadopsError):
    """A file, option or value given by the user is not acceptable.

    The message names the file, the field path inside it, what is allowed and what was
    given, e.g. ``baseline.toml: channels.sem.monthly_spend: must be >= 0, got -5``.
    """

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.file = file
        self.path = path
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [part for part in (self.file, self.path) if part]
        return ": ".join([*parts, self.reason])


class PolicyError(InputError):
    """A policy does not fit the scenario it is run on (unknown team, grade, ...)."""


class StorageError(LeadopsError):
    """An optimization study or output directory cannot be read or written."""


class InvariantError(LeadopsError):
    """The model broke one of its own promises, such as conserving leads."""
