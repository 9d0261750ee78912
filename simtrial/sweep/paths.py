"""Setting a config value by dotted path on the raw (YAML) mapping.

Overrides are applied to the raw mapping, before validation, so a swept value
is validated exactly like a value typed into the config file (units such as
months are converted once, by the model, afterwards).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from simtrial.errors import ConfigError

__all__ = ["set_path", "apply_overrides"]


def set_path(raw: dict[str, Any], path: str, value: Any, *, key: str | None = None) -> str:
    """Set ``value`` at dotted ``path`` inside ``raw`` (modified in place).

    Parameters
    ----------
    raw : dict
        Raw config mapping.
    path : str
        Dotted path. Mapping keys are created when missing (the model then
        rejects keys it does not know). A step into a list is a 0-based index
        or the ``name`` of one of the list's mappings.
    value : object
        The value to set (deep-copied).
    key : str, optional
        Name used in error messages (default: ``sweep.axes.<path>``).

    Returns
    -------
    str
        The path with list steps written as indices (``scenarios.1.p_response``),
        which is how validation errors name the field.

    Raises
    ------
    ConfigError
        If a step leads into a scalar, or a list index / name does not exist.
    """
    where = key if key is not None else f"sweep.axes.{path}"
    parts = path.split(".")
    node: Any = raw
    resolved: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            idx = _list_index(node, part, ".".join(parts[: i + 1]), where)
            resolved.append(str(idx))
            if last:
                node[idx] = copy.deepcopy(value)
            else:
                node = node[idx]
        elif isinstance(node, dict):
            resolved.append(part)
            if last:
                node[part] = copy.deepcopy(value)
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        else:
            prefix = ".".join(parts[:i])
            raise ConfigError(where, f"unknown config path {path!r}: {prefix!r} is a value, not a section or list")
    return ".".join(resolved)


def _list_index(node: list[Any], part: str, upto: str, where: str) -> int:
    if part.isdigit():
        idx = int(part)
        if idx >= len(node):
            raise ConfigError(where, f"unknown config path: {upto!r} is out of range (the list has {len(node)} items)")
        return idx
    names = [item.get("name") for item in node if isinstance(item, dict)]
    for idx, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == part:
            return idx
    known = ", ".join(repr(n) for n in names if n is not None) or "none"
    raise ConfigError(where, f"unknown config path: no list item named {part!r} at {upto!r} (index or name; names: {known})")


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any], *, key_prefix: str = "sweep.axes") -> tuple[dict[str, Any], dict[str, str]]:
    """A deep copy of ``raw`` with every ``{dotted path: value}`` override set.

    Returns
    -------
    (dict, dict)
        The new mapping and ``{path: path with list indices}``.
    """
    out = copy.deepcopy(dict(raw))
    resolved = {p: set_path(out, p, v, key=f"{key_prefix}.{p}") for p, v in overrides.items()}
    return out, resolved
