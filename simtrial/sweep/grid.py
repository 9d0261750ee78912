"""Grid expansion, cell identity and cell seeds.

A cell's identity is the canonical JSON of its ``{dotted path: value}``
mapping (sorted keys, floats in shortest round-trip form). Its seed is a
63-bit integer hashed from the sweep seed and that identity, so it depends on
*what* the cell is, never on its position in the grid or on the worker that
runs it: reordering axes, adding values, resuming or running on a cluster
leaves every existing cell's seed unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simtrial.errors import ConfigError
from simtrial.model.sweep import SweepConfig

__all__ = ["Cell", "cell_identity", "cell_id", "cell_seed", "expand_grid"]

_SEED_MASK = (1 << 63) - 1


def cell_identity(values: Mapping[str, Any]) -> str:
    """Canonical JSON of a cell's ``{dotted path: value}`` mapping.

    Parameters
    ----------
    values : mapping of str to JSON-compatible value

    Returns
    -------
    str
        Compact JSON with sorted keys; floats use Python's shortest
        round-trip ``repr``, so ``0.1`` is ``0.1``. ``1`` and ``1.0`` are
        different identities, as written.

    Examples
    --------
    >>> cell_identity({"b": 0.1, "a": "minimax"})
    '{"a":"minimax","b":0.1}'
    """
    try:
        return json.dumps(dict(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError("sweep.axes", f"axis values must be JSON values (numbers, strings, booleans, lists, mappings): {exc}") from None


def cell_id(identity: str) -> str:
    """A short, file-name-safe id of a cell: 16 hex digits of BLAKE2b(identity)."""
    return hashlib.blake2b(identity.encode("utf-8"), digest_size=8, person=b"simtrial-cellid").hexdigest()


def cell_seed(sweep_seed: int, identity: str) -> int:
    """The 63-bit seed of one cell, derived from the sweep seed and the cell identity.

    Parameters
    ----------
    sweep_seed : int
        Non-negative sweep seed.
    identity : str
        :func:`cell_identity` of the cell.

    Returns
    -------
    int
        In ``[0, 2**63)``; a keyed BLAKE2b hash, so cells of one sweep get
        unrelated seeds and the same cell gets the same seed every time.

    Examples
    --------
    >>> cell_seed(1, '{"a":1}') == cell_seed(1, '{"a":1}')
    True
    >>> cell_seed(1, '{"a":1}') != cell_seed(2, '{"a":1}')
    True
    """
    if sweep_seed < 0:
        raise ConfigError("sweep.seed", f"must be a non-negative integer, got {sweep_seed}")
    h = hashlib.blake2b(digest_size=8, person=b"simtrial-cellsd")
    h.update(str(int(sweep_seed)).encode("ascii"))
    h.update(b"\x00")
    h.update(identity.encode("utf-8"))
    return int.from_bytes(h.digest(), "little") & _SEED_MASK


@dataclass(frozen=True)
class Cell:
    """One point of the sweep grid.

    Attributes
    ----------
    index : int
        Position in the grid (orders the output table; plays no part in the seed).
    values : tuple of (str, value)
        ``(dotted path, value)`` pairs in axis order.
    identity : str
        :func:`cell_identity` of ``values``.
    id : str
        :func:`cell_id` of ``identity`` (names the cell's file).
    seed : int
        :func:`cell_seed` of the sweep seed and ``identity``.
    """

    index: int
    values: tuple[tuple[str, Any], ...]
    identity: str
    id: str
    seed: int

    def as_dict(self) -> dict[str, Any]:
        """``{dotted path: value}`` in axis order."""
        return dict(self.values)


def expand_grid(sweep: SweepConfig, sweep_seed: int) -> tuple[Cell, ...]:
    """Expand a sweep into its cells.

    Parameters
    ----------
    sweep : SweepConfig
    sweep_seed : int

    Returns
    -------
    tuple of Cell
        Product mode: the first axis varies slowest. Zip mode: the i-th
        values of all axes.

    Raises
    ------
    ConfigError
        If two cells would have the same identity.
    """
    names = list(sweep.axes)
    columns = [sweep.axis_values(n) for n in names]
    combos = zip(*columns) if sweep.mode == "zip" else itertools.product(*columns)
    cells: list[Cell] = []
    seen: dict[str, int] = {}
    for index, combo in enumerate(combos):
        values = tuple(zip(names, combo))
        identity = cell_identity(dict(values))
        if identity in seen:
            raise ConfigError("sweep.axes", f"cells {seen[identity]} and {index} are identical: {identity}")
        seen[identity] = index
        cells.append(Cell(index, values, identity, cell_id(identity), cell_seed(sweep_seed, identity)))
    return tuple(cells)
