"""The ``sweep:`` block of a config (parameter grids).

A sweep varies config fields named by dotted paths (``enrollment.rate``,
``scenarios.0.p_response``, ``scenarios.alternative.p_response``,
``design.kind``). Each axis is a list of values or a numeric range; axes are
combined as a full product or zipped element by element.

Example
-------
.. code-block:: yaml

    sweep:
      mode: product
      seed: 7
      fixed:
        simulation.n_sim: 2000
      axes:
        scenarios.0.p_response: {start: 0.05, stop: 0.50, step: 0.05}
        design.kind: [optimal, minimax]
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from simtrial.model._base import StrictModel

__all__ = ["SweepConfig", "RangeAxis", "MAX_AXIS_VALUES"]

#: Largest number of values one axis may expand to (a guard against typos
#: such as ``step: 0.0001``).
MAX_AXIS_VALUES = 10_000

_RANGE_KEYS = {"start", "stop", "step", "num"}


def _decimal(x: int | float) -> Decimal:
    # repr() is the shortest string that round-trips, so 0.05 becomes exactly
    # Decimal("0.05") and start + i * step lands on 0.2, not 0.20000000000000004.
    return Decimal(x) if isinstance(x, int) else Decimal(repr(float(x)))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class RangeAxis(StrictModel):
    """A numeric range ``{start, stop, step}`` or ``{start, stop, num}``.

    Both forms include ``stop`` when it lies on the grid. Values are computed
    in decimal arithmetic from the numbers as written, so a step of 0.05 gives
    0.05, 0.1, 0.15, ... exactly as typed. All-integer inputs give integers.
    """

    start: int | float
    stop: int | float
    step: int | float | None = None
    num: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> RangeAxis:
        for name in ("start", "stop", "step"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v}")
        if (self.step is None) == (self.num is None):
            raise ValueError("give exactly one of step or num")
        if self.step is not None:
            if self.step == 0:
                raise ValueError("step must not be 0")
            if (self.stop - self.start) * self.step < 0:
                raise ValueError(f"step {self.step} does not lead from start {self.start} to stop {self.stop}")
        if self.num is not None and self.num == 1 and self.start != self.stop:
            raise ValueError("num = 1 needs start == stop")
        if len(self._decimal_values()) > MAX_AXIS_VALUES:
            raise ValueError(f"range expands to more than {MAX_AXIS_VALUES} values")
        return self

    def _decimal_values(self) -> list[Decimal]:
        start, stop = _decimal(self.start), _decimal(self.stop)
        if self.step is not None:
            step = _decimal(self.step)
            count = int((stop - start) / step) + 1  # int() truncates towards 0; quotient is >= 0
            return [start + i * step for i in range(min(count, MAX_AXIS_VALUES + 1))]
        assert self.num is not None
        if self.num == 1:
            return [start]
        width = (stop - start) / (self.num - 1)
        return [start + i * width for i in range(min(self.num, MAX_AXIS_VALUES + 1))]

    def values(self) -> tuple[int | float, ...]:
        """The expanded values, in order."""
        dec = self._decimal_values()
        ints = all(isinstance(v, int) for v in (self.start, self.stop, self.step) if v is not None)
        if ints and all(d == d.to_integral_value() for d in dec):
            return tuple(int(d) for d in dec)
        return tuple(float(d) for d in dec)


def _axis_values(name: str, spec: Any) -> tuple[Any, ...]:
    """Expand one axis spec (a list or a range mapping) into its values."""
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise ValueError(f"axis {name!r}: the list of values is empty")
        for v in spec:
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"axis {name!r}: values must be finite, got {v}")
        return tuple(spec)
    if isinstance(spec, RangeAxis):
        return spec.values()
    if isinstance(spec, dict):
        unknown = set(spec) - _RANGE_KEYS
        if unknown:
            raise ValueError(
                f"axis {name!r}: unknown range key(s) {', '.join(sorted(map(str, unknown)))}; "
                "allowed: start, stop, step, num"
            )
        missing = {"start", "stop"} - set(spec)
        if missing:
            raise ValueError(f"axis {name!r}: a range needs {' and '.join(sorted(missing))}")
        for key in ("start", "stop", "step"):
            if key in spec and not _is_number(spec[key]):
                raise ValueError(f"axis {name!r}: range {key} must be a number, got {spec[key]!r}")
        if "num" in spec and (not isinstance(spec["num"], int) or isinstance(spec["num"], bool) or spec["num"] < 1):
            raise ValueError(f"axis {name!r}: range num must be an integer >= 1, got {spec['num']!r}")
        try:
            return RangeAxis(**spec).values()
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            msg = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
            raise ValueError(f"axis {name!r}: {msg.removeprefix('Value error, ')}") from None
    raise ValueError(
        f"axis {name!r}: expected a list of values or a range {{start, stop, step|num}}, "
        f"got {type(spec).__name__}"
    )


class SweepConfig(StrictModel):
    """Parameter sweep specification.

    Attributes
    ----------
    axes : dict of str to list or RangeAxis
        Dotted config path -> values. A path step into a list is an index
        (``scenarios.0``) or, for lists of named items, the item's ``name``
        (``scenarios.alternative``). Order is kept: it orders the cells and
        the table's columns.
    mode : {"product", "zip"}
        ``product``: every combination (first axis varies slowest).
        ``zip``: the i-th values of all axes together; all axes need the same
        length.
    seed : int or None
        Sweep seed; None takes ``simulation.seed`` of the base config. Each
        cell's seed derives from this seed and the cell's parameter values.
    fixed : dict of str to value
        Dotted path -> value applied to every cell before the axis values
        (e.g. a smaller ``simulation.n_sim`` for a quick look).
    """

    axes: dict[str, list[Any] | RangeAxis]
    mode: Literal["product", "zip"] = "product"
    seed: int | None = Field(default=None, ge=0)
    fixed: dict[str, Any] = Field(default_factory=dict)

    @field_validator("axes", mode="before")
    @classmethod
    def _check_axes(cls, axes: Any) -> Any:
        if not isinstance(axes, dict):
            raise ValueError(f"expected a mapping of dotted config path -> values, got {type(axes).__name__}")
        if not axes:
            raise ValueError("at least one axis is needed")
        out: dict[str, Any] = {}
        for name, spec in axes.items():
            if not isinstance(name, str) or not name or any(not part for part in name.split(".")):
                raise ValueError(f"axis {name!r}: not a dotted config path such as 'enrollment.rate'")
            values = _axis_values(name, spec)
            seen: set[str] = set()
            for v in values:
                key = json.dumps(v, sort_keys=True)
                if key in seen:
                    raise ValueError(f"axis {name!r}: value {v!r} appears twice")
                seen.add(key)
            out[name] = list(spec) if isinstance(spec, (list, tuple)) else spec
        return out

    @model_validator(mode="after")
    def _check_lengths(self) -> SweepConfig:
        if self.mode == "zip":
            names = list(self.axes)
            first = len(self.axis_values(names[0]))
            for name in names[1:]:
                n = len(self.axis_values(name))
                if n != first:
                    raise ValueError(
                        f"axis {name!r} has {n} values but axis {names[0]!r} has {first}; "
                        "mode zip needs axes of equal length"
                    )
        for path in self.fixed:
            if path in self.axes:
                raise ValueError(f"axis {path!r} is also set in sweep.fixed; keep one")
        return self

    def axis_values(self, name: str) -> tuple[Any, ...]:
        """The expanded values of axis ``name``."""
        return _axis_values(name, self.axes[name])

    def n_cells(self) -> int:
        """Number of cells the sweep expands to."""
        lengths = [len(self.axis_values(a)) for a in self.axes]
        return lengths[0] if self.mode == "zip" else math.prod(lengths)
