"""Names chosen by users, made safe for the file system."""

from __future__ import annotations

import re


def safe_name(label: str) -> str:
    """A directory name for a label chosen by a user."""
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "_", label).strip("._")
    return cleaned or "alternative"
