"""Load and validate a config: YAML text -> :class:`TrialConfig`.

Every problem becomes one :class:`~simtrial.errors.ConfigError` naming the
dotted key (``scenarios[1].p_response``) and what is allowed.
"""

from __future__ import annotations

import os
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from simtrial.errors import ConfigError
from simtrial.model.trial import TrialConfig

__all__ = ["load_config", "parse_config", "load_yaml"]

_FIELD_PREFIX = re.compile(r"^(?:Value error, )?<<([^>]+)>>\s*(.*)$", re.S)


def load_config(path: str | os.PathLike[str]) -> TrialConfig:
    """Read and validate a YAML trial config.

    Parameters
    ----------
    path : path-like
        The YAML file.

    Returns
    -------
    TrialConfig

    Raises
    ------
    ConfigError
        Missing, unreadable or empty file, broken YAML, a key given twice,
        unknown key or bad value; the message names the dotted key and what
        is allowed.
    """
    from simtrial.io import read_text

    data = load_yaml(read_text(path), str(path))
    if data is None:
        raise ConfigError("", f"{path}: the file is empty; expected a YAML mapping with schema_version, name, ...")
    return parse_config(data, source=str(path))


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text, refusing a key given twice in one mapping.

    PyYAML keeps the last of two equal keys without a word, so a second
    ``seed:`` or a second ``simulation:`` block would silently replace the
    first; here it is an error naming the key and both lines.

    Parameters
    ----------
    text : str
    source : str
        The file name, for messages.

    Returns
    -------
    object
        What ``yaml.safe_load`` returns (None for an empty document).

    Raises
    ------
    ConfigError
        Broken YAML (with its line and column), or a duplicate key (its
        dotted path, e.g. ``simulation.seed``, and both line numbers).
    """
    import yaml

    try:
        _refuse_duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader), [], source, set())
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ConfigError("", f"{source}: broken YAML{where}: {problem}") from None


def _refuse_duplicate_keys(node: Any, path: list[Any], source: str, seen: set[int]) -> None:
    """Walk a composed YAML node tree; ConfigError at the first key that appears twice in one mapping."""
    import yaml

    if node is None or id(node) in seen:  # an alias repeats a node already walked (and may be recursive)
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                _refuse_duplicate_keys(value, path, source, seen)
                continue
            line = key.start_mark.line + 1
            if key.value in lines:
                raise ConfigError(
                    _dotted([*path, key.value]),
                    f"given twice, at lines {lines[key.value]} and {line} of {source}; give each key once",
                )
            lines[key.value] = line
            _refuse_duplicate_keys(value, [*path, key.value], source, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_duplicate_keys(item, [*path, i], source, seen)


def parse_config(data: dict[str, Any], source: str = "") -> TrialConfig:
    """Validate a config given as a (YAML-like) dict.

    Parameters
    ----------
    data : dict
        The raw config, durations as strings with units.
    source : str
        Where it came from, for messages.

    Returns
    -------
    TrialConfig

    Raises
    ------
    ConfigError
    """
    if not isinstance(data, dict):
        where = f"{source}: " if source else ""
        raise ConfigError("", f"{where}a config must be a YAML mapping of keys to values, got {type(data).__name__}")
    try:
        return TrialConfig.model_validate(data)
    except ValidationError as exc:
        key, message = _first_error(exc)
        raise ConfigError(key, message) from None


def first_error(exc: ValidationError) -> dict[str, Any]:
    """The error to report: an unknown key first (a misspelt key also leaves its right spelling missing)."""
    errs = exc.errors(include_url=False)
    return next((e for e in errs if e["type"] == "extra_forbidden"), errs[0])


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = first_error(exc)
    loc = list(err["loc"])
    msg = str(err["msg"])
    m = _FIELD_PREFIX.match(msg)
    if m:
        # A cross-field rule named the offending sub-key itself.
        loc += [p for p in re.split(r"\.|(?=\[)", m.group(1)) if p]
        msg = m.group(2)
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    etype = err["type"]
    if etype == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        msg = f"unknown key; allowed here: {', '.join(allowed)}" if allowed else "unknown key"
    elif etype == "missing":
        msg = "required key is missing"
    elif etype == "literal_error":
        msg = f"{msg}, got {err.get('input')!r}"
    elif etype in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float",
                   "bool_parsing", "bool_type", "string_type", "list_type", "dict_type",
                   "model_type", "tuple_type", "greater_than_equal", "less_than",
                   "too_short", "too_long"}:  # fmt: skip
        msg = f"{msg}, got {err.get('input')!r}"
    return _dotted(loc), msg


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.startswith("[")):
            out += f"[{part}]" if isinstance(part, int) else part
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_keys(loc: list[Any]) -> list[str]:
    """Field names of the model found at ``loc`` inside TrialConfig."""
    model: Any = TrialConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return []
        model = _model_of(model.model_fields[part].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_of(annotation: Any) -> Any:
    # Unwrap Optional[...], list[...], Annotated[...] down to a model class.
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    return annotation
