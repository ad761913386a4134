"""Reading TOML files into validated pydantic models, with errors that name the field.

Both scenario and policy files go through :func:`load_model`, so that a typo such as
``sla_hour`` is reported with a did-you-mean suggestion instead of being ignored.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadops.errors import InputError

ModelT = TypeVar("ModelT", bound=BaseModel)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning I/O and syntax errors into :class:`InputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read ({exc})", file=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"is not valid TOML: {exc}", file=str(path)) from None
    except RecursionError:
        raise InputError("nests tables or arrays too deeply", file=str(path)) from None


def validate_model(model: type[ModelT], data: dict[str, Any], *, file: str) -> ModelT:
    """Validate ``data`` against ``model``; the first problem becomes an :class:`InputError`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A misspelt required field also shows as "missing"; the typo is the useful report.
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        message, path = describe_error(model, error), _dotted(error["loc"])
        raise InputError(message, file=file, path=path) from None
    except (ValueError, TypeError) as exc:
        raise InputError(str(exc), file=file) from None


def describe_error(model: type[BaseModel], error: Any) -> str:
    """Turn one pydantic error into 'what is allowed, got what'."""
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        return _unknown_field(model, tuple(error["loc"]))
    if kind == "missing":
        return "is required but missing"
    rule = _RULES.get(kind)
    if rule is not None:
        return f"{rule.format(**error.get('ctx', {}))}, got {_show(given)}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message[0].lower() + message[1:] if message else message
    if isinstance(given, dict):
        return message
    return f"{message}, got {_show(given)}"


_RULES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "literal_error": "must be one of {expected}",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "date_from_datetime_parsing": "must be a date such as 2026-01-05",
    "date_parsing": "must be a date such as 2026-01-05",
    "date_type": "must be a date such as 2026-01-05",
    "too_short": "must hold at least {min_length} items",
    "too_long": "must hold at most {max_length} items",
    "string_too_short": "must be at least {min_length} characters long",
}


def _unknown_field(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    name = str(loc[-1])
    known = _fields_at(model, loc[:-1])
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    allowed = f" (allowed: {', '.join(sorted(known))})" if known and not close else ""
    return f"unknown field '{name}'{hint}{allowed}"


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the sub-model that ``loc`` points into, as far as it can be told."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return []
        if part in fields:
            current = _inner_model(fields[part].annotation)
        # otherwise ``part`` is a key of a mapping whose values are ``current``
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _inner_model(annotation: Any) -> Any:
    """Find a BaseModel inside ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _dotted(loc: tuple[Any, ...] | list[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def find_file(name_or_path: str, bundled_dir: Path, kind: str) -> Path:
    """Resolve a path, or the name of a bundled file such as ``baseline``."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists() or "/" in name_or_path:
        return path
    bundled = bundled_dir / f"{name_or_path}.toml"
    if bundled.exists():
        return bundled
    names = sorted(p.stem for p in bundled_dir.glob("*.toml"))
    close = difflib.get_close_matches(name_or_path, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise InputError(
        f"is neither a file nor a bundled {kind} (bundled: {', '.join(names)}){hint}",
        file=name_or_path,
    )
