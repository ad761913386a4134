"""``--set PATH=VALUE`` overrides, applied to the raw file data before validation.

Applying them before validation means an override is typed and checked exactly like the
file itself, and a misspelt path is reported with the same did-you-mean suggestion.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from typing import Any

from leadops.errors import InputError


@dataclass(frozen=True)
class Override:
    """One ``PATH=VALUE`` assignment; ``PATH`` is dotted, list items by number."""

    path: str
    value: Any

    def __str__(self) -> str:
        return f"{self.path}={self.value!r}"


def parse_override(text: str) -> Override:
    """Parse ``PATH=VALUE``. VALUE is read as a TOML value, or else taken as a string."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise InputError(f"expected PATH=VALUE, got {text!r}", file="--set")
    return Override(path, parse_value(raw.strip()))


def parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return raw


def apply_overrides(data: dict[str, Any], overrides: list[Override]) -> dict[str, Any]:
    """Return a copy of ``data`` with every override assigned."""
    result = copy.deepcopy(data)
    for override in overrides:
        _assign(result, override.path.split("."), override.value, override.path)
    return result


def _assign(node: Any, keys: list[str], value: Any, path: str) -> None:
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, list):
            index = _list_index(node, key, path)
            if last:
                node[index] = value
                return
            node = node[index]
        elif isinstance(node, dict):
            if last:
                node[key] = value
                return
            node = node.setdefault(key, {})
        else:
            where = ".".join(keys[:depth])
            raise InputError(f"'{where}' holds a single value, not fields", path=path)


def _list_index(node: list[Any], key: str, path: str) -> int:
    if not node:
        raise InputError(f"the list is empty, so there is no item {key!r}", path=path)
    if not key.isdigit() or int(key) >= len(node):
        raise InputError(f"list index must be 0..{len(node) - 1}, got {key!r}", path=path)
    return int(key)
