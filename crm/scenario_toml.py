"""Writing a scenario as a TOML file with comments.

The calibrated scenario must say where each number came from, so the writer takes comment
lines keyed by field path (``channels.seo.leads_per_day``) and puts them above the key or
table they describe. Small tables of plain values (mixes) are written inline; tables with
commented fields or nested values get their own ``[section]``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
WIDTH = 98
Comments = Mapping[str, Sequence[str]]


def render(data: Mapping[str, Any], comments: Comments, header: Sequence[str] = ()) -> str:
    """The TOML text of ``data`` with ``comments`` (lines per field path) and a header."""
    lines = [line for text in header for line in _comment(text)]
    if lines:
        lines.append("")
    _table(lines, [], data, comments)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(lines: list[str], path: list[str], table: Mapping[str, Any],
           comments: Comments) -> None:
    for key, value in table.items():
        if _is_section(path + [key], value, comments) or _is_section_list(value):
            continue
        for text in comments.get(_dotted(path + [key]), ()):
            lines.extend(_comment(text))
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        here = path + [key]
        if _is_section_list(value):
            for item in value:
                lines.append("")
                lines.append(f"[[{_header(here)}]]")
                _table(lines, here, item, comments)
        elif _is_section(here, value, comments):
            _section(lines, here, value, comments)


def _section(lines: list[str], path: list[str], table: Mapping[str, Any],
             comments: Comments) -> None:
    notes = comments.get(_dotted(path), ())
    only_sections = bool(table) and all(
        _is_section(path + [k], v, comments) or _is_section_list(v) for k, v in table.items())
    if notes or not only_sections:
        lines.append("")
        for text in notes:
            lines.extend(_comment(text))
        lines.append(f"[{_header(path)}]")
    _table(lines, path, table, comments)


def _is_section(path: list[str], value: Any, comments: Comments) -> bool:
    """A dict is a section when it nests values or when any of its fields has a comment."""
    if not isinstance(value, Mapping):
        return False
    if any(isinstance(v, Mapping | list | tuple) for v in value.values()):
        return True
    prefix = _dotted(path) + "."
    return any(key.startswith(prefix) for key in comments)


def _is_section_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(
        isinstance(item, Mapping) for item in value)


def _dotted(path: list[str]) -> str:
    return ".".join(path)


def _header(path: list[str]) -> str:
    return ".".join(_key(part) for part in path)


def _key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _float(value: float) -> str:
    """Seven significant digits, always written as a float."""
    text = f"{value:.7g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        return f"{mantissa}e{exponent}"
    return text if "." in text or "n" in text else text + ".0"


def _comment(text: str) -> list[str]:
    if not text:
        return ["#"]
    return ["# " + line for line in textwrap.wrap(text, WIDTH - 2, break_on_hyphens=False)]
