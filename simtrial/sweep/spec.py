"""Reading a sweep spec and turning its cells into validated configs.

A sweep spec is either

* a full config with a ``sweep:`` block, or
* a separate file with two keys, ``base:`` (path of a config, relative to the
  sweep file) and ``sweep:`` (the block; it replaces any ``sweep:`` block of
  the base config).

Every cell's config is built and validated when the spec is read, so a value
that makes a cell invalid is reported, naming its axis, before anything runs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from simtrial.errors import ConfigError, DesignError
from simtrial.model.sweep import SweepConfig
from simtrial.sweep.grid import Cell, expand_grid
from simtrial.sweep.paths import apply_overrides

__all__ = ["SweepSpec", "load_sweep", "parse_sweep"]

# Paths the sweep itself controls: each cell runs with its own seed and one thread.
_RESERVED = ("sweep", "simulation.seed", "simulation.threads")
_SPEC_FILE_KEYS = ("base", "sweep")


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: base config, grid and cells.

    Attributes
    ----------
    base : dict
        Raw base config (no ``sweep`` block) with ``sweep.fixed`` applied.
    sweep : SweepConfig
    seed : int
        The sweep seed (``sweep.seed`` or the base config's ``simulation.seed``).
    cells : tuple of Cell
    source : str
        Where the spec came from (for messages and the manifest).
    fingerprint : str
        Hash of everything that determines the results (base config, sweep
        block, seed); a resumed sweep must have the same fingerprint.
    """

    base: dict[str, Any]
    sweep: SweepConfig
    seed: int
    cells: tuple[Cell, ...]
    source: str = ""
    fingerprint: str = ""

    @property
    def axes(self) -> tuple[str, ...]:
        """Axis names (dotted paths) in order."""
        return tuple(self.sweep.axes)

    def cell_raw(self, cell: Cell) -> dict[str, Any]:
        """The raw config mapping of ``cell`` (base with the cell's values set)."""
        raw, _ = apply_overrides(self.base, cell.as_dict())
        return raw

    def cell_config(self, cell: Cell) -> Any:
        """The validated :class:`simtrial.model.TrialConfig` of ``cell``."""
        from simtrial.model import parse_config

        return parse_config(self.cell_raw(cell), source=f"{self.source} [cell {cell.id}]")

    def axis_column(self, axis: str, value: Any) -> Any:
        """The value of ``axis`` as stored in the table's column.

        Numbers and strings are kept; an axis whose values mix types or are
        lists / mappings is stored as JSON text, so each column has one type.
        """
        return json.dumps(value, sort_keys=True) if axis in self._json_axes else value

    @cached_property
    def _json_axes(self) -> frozenset[str]:
        out = set()
        for axis in self.sweep.axes:
            vals = self.sweep.axis_values(axis)
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
            strings = all(isinstance(v, str) for v in vals)
            bools = all(isinstance(v, bool) for v in vals)
            if not (numeric or strings or bools):
                out.add(axis)
        return frozenset(out)


def load_sweep(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and validate a sweep spec file.

    Parameters
    ----------
    path : path-like
        A config with a ``sweep:`` block, or a file with ``base:`` and ``sweep:``.

    Returns
    -------
    SweepSpec

    Raises
    ------
    ConfigError
        Naming the key or axis at fault.
    """
    p = Path(path)
    data = _read_yaml(p)
    return parse_sweep(data, source=str(p), base_dir=p.parent)


def parse_sweep(data: Mapping[str, Any], *, source: str = "", base_dir: str | os.PathLike[str] | None = None) -> SweepSpec:
    """Validate a sweep spec given as a mapping (see :func:`load_sweep`)."""
    if not isinstance(data, Mapping):
        raise ConfigError("", f"a sweep spec must be a mapping, got {type(data).__name__}")
    data = copy.deepcopy(dict(data))
    if "base" in data:
        unknown = sorted(set(data) - set(_SPEC_FILE_KEYS))
        if unknown:
            raise ConfigError(
                unknown[0], "unknown key in a sweep file; allowed: base (path of a config), sweep (the sweep block)"
            )
        if not isinstance(data["base"], str) or not data["base"]:
            raise ConfigError("base", "must be the path of a config file")
        base_path = Path(base_dir or ".") / data["base"]
        base = _read_yaml(base_path, key="base")
        if not isinstance(base, dict):
            raise ConfigError("base", f"{base_path} must hold a mapping")
        base.pop("sweep", None)
        sweep_raw = data.get("sweep")
    else:
        sweep_raw = data.pop("sweep", None)
        base = data
    if sweep_raw is None:
        raise ConfigError(
            "sweep", "missing: a sweep spec is a config with a sweep: block, or a file with base: and sweep:"
        )
    sweep = _parse_sweep_block(sweep_raw)
    for path in list(sweep.axes) + list(sweep.fixed):
        kind = "axes" if path in sweep.axes else "fixed"
        for reserved in _RESERVED:
            if path == reserved or path.startswith(reserved + "."):
                what = "use sweep.seed" if reserved == "simulation.seed" else "each cell runs on one thread"
                if reserved == "sweep":
                    what = "a sweep cannot vary itself"
                raise ConfigError(f"sweep.{kind}.{path}", f"cannot be swept or fixed ({what})")

    base, _ = apply_overrides(base, sweep.fixed, key_prefix="sweep.fixed")
    base_cfg = _parse_base(base, sweep, source)
    seed = sweep.seed if sweep.seed is not None else int(base_cfg.simulation.seed)
    cells = expand_grid(sweep, seed)
    fingerprint = _fingerprint(base, sweep, seed)
    spec = SweepSpec(base=base, sweep=sweep, seed=seed, cells=cells, source=source, fingerprint=fingerprint)
    _validate_cells(spec)
    return spec


def _read_yaml(path: Path, key: str = "") -> Any:
    from simtrial.io import read_text
    from simtrial.model.load import load_yaml

    try:
        data = load_yaml(read_text(path), str(path))
    except ConfigError as exc:
        # A file named by ``base:`` is blamed on that key; a duplicate key names itself.
        raise ConfigError(exc.key or key, exc.message) from None
    if data is None:
        raise ConfigError(key, f"{path} is empty")
    return data


def _parse_sweep_block(raw: Any) -> SweepConfig:
    from pydantic import ValidationError

    from simtrial.model.load import first_error

    if not isinstance(raw, Mapping):
        raise ConfigError("sweep", f"must be a mapping with axes (and optionally mode, seed, fixed), got {type(raw).__name__}")
    try:
        return SweepConfig.model_validate(dict(raw))
    except ValidationError as exc:
        err = first_error(exc)
        loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith(("list[", "RangeAxis", "function-")))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key; allowed: axes, mode, seed, fixed"
        elif err["type"] == "literal_error":
            msg = f"must be 'product' or 'zip', got {err.get('input')!r}"
        if not loc and msg.startswith("axis "):
            loc = "axes"  # cross-axis rules (zip lengths) are about the axes
        raise ConfigError(f"sweep.{loc}" if loc else "sweep", msg) from None


def _parse_base(base: dict[str, Any], sweep: SweepConfig, source: str) -> Any:
    from simtrial.model import parse_config

    try:
        return parse_config(base, source=source)
    except ConfigError as exc:
        for path in sweep.fixed:
            if _related(path, exc.key):
                raise ConfigError(f"sweep.fixed.{path}", f"value {sweep.fixed[path]!r} is invalid: {exc}") from None
        raise


def _related(path: str, key: str) -> bool:
    """True when a validation error at ``key`` concerns the field at dotted ``path``."""
    # The model names list items as ``scenarios[1].p_response``; paths say ``scenarios.1.p_response``.
    key = key.replace("[", ".").replace("]", "").lstrip(".")
    return bool(key) and (path == key or key.startswith(path + ".") or path.startswith(key + "."))


def _fingerprint(base: dict[str, Any], sweep: SweepConfig, seed: int) -> str:
    doc = {"base": base, "sweep": sweep.model_dump(mode="json"), "seed": seed}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _validate_cells(spec: SweepSpec) -> None:
    """Build and validate every cell's config (and its design) before anything runs."""
    from simtrial.model import parse_config

    designs: dict[str, Any] = {}
    for cell in spec.cells:
        values = cell.as_dict()
        raw, resolved = apply_overrides(spec.base, values)
        try:
            cfg = parse_config(raw, source=f"{spec.source} [cell {cell.id}]")
        except ConfigError as exc:
            raise _blame(cell, resolved, exc.key, str(exc)) from None
        # The design search depends only on the design blocks: resolve each distinct set once.
        dumped = cfg.model_dump(mode="json")
        design_key = json.dumps([dumped.get("design"), dumped.get("designs")], sort_keys=True, default=str)
        if design_key not in designs:
            try:
                designs[design_key] = cfg.resolved_designs()
            except DesignError as exc:
                raise _blame(cell, resolved, "design", str(exc)) from None
            except ConfigError as exc:
                raise _blame(cell, resolved, exc.key or "design", str(exc)) from None


def _blame(cell: Cell, resolved: dict[str, str], key: str, message: str) -> ConfigError:
    values = cell.as_dict()
    for axis, path in resolved.items():
        if _related(path, key) or _related(axis, key):
            return ConfigError(f"sweep.axes.{axis}", f"value {values[axis]!r} makes the config invalid: {message}")
    return ConfigError("sweep.axes", f"cell {cell.identity} makes the config invalid: {message}")
