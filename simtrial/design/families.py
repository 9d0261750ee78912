"""Design families: each turns its parameters into designs, as decision tables with their exact properties.

A family is a function registered under its name (``simon``,
``mander-thompson``, ``bop2`` ...). It takes keyword options (those of
``simtrial design``, named as the command line names them without the
dashes) and returns a :class:`FamilyResult`. :func:`find_designs` checks that
every option given applies to the family, so a misplaced option is an error
rather than silently ignored.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simtrial.design.tables import DecisionTable
from simtrial.errors import DesignError

__all__ = ["FamilyDesign", "FamilyResult", "FAMILIES", "register_family", "find_designs"]


def _num(x: float) -> float | None:
    # JSON has no NaN: a value that does not exist is null.
    return None if isinstance(x, float) and math.isnan(x) else x


@dataclass(frozen=True)
class FamilyDesign:
    """One design of a family, with its exact properties.

    Attributes
    ----------
    family : str
        The family's name (``"simon"``, ``"mander-thompson"`` ...).
    kind : str
        Which design of the family (``"optimal"``, ``"minimax"``,
        ``"admissible"``, ``"calibrated"`` ...).
    table : DecisionTable
        The design's looks and bounds.
    en0, en1 : float
        Expected number of evaluable patients under ``p0`` and ``p1``.
    pet0 : float
        Probability of an early stop for futility under ``p0``.
    alpha : float
        Attained type I error.
    power : float
        Attained power.
    extra : dict
        Family-specific JSON keys (the rule's parameters, errors under
        other null configurations ...).
    """

    family: str
    kind: str
    table: DecisionTable
    en0: float
    en1: float
    pet0: float
    alpha: float
    power: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"family", "kind", "looks", "futility", "efficacy", "toxicity", "en0", "en1", "pet0", "alpha", "power", ...}``."""
        return {
            "family": self.family,
            "kind": self.kind,
            **self.table.to_dict(),
            "en0": _num(float(self.en0)),
            "en1": _num(float(self.en1)),
            "pet0": _num(float(self.pet0)),
            "alpha": _num(float(self.alpha)),
            "power": _num(float(self.power)),
            **self.extra,
        }


@dataclass(frozen=True)
class FamilyResult:
    """What a family's search or evaluation returns.

    Attributes
    ----------
    family : str
    params : dict
        The targets and options used (``p0``, ``p1``, ``alpha`` ...).
    designs : tuple of FamilyDesign
    notes : tuple of str
        Lines for the reader (the range searched, the grid of a calibration ...).
    source : object
        The family's own result object, when it has one (for Simon, the
        :class:`~simtrial.design.SimonSearchResult`).
    """

    family: str
    params: dict[str, Any]
    designs: tuple[FamilyDesign, ...]
    notes: tuple[str, ...] = ()
    source: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"family", <params>, "designs": [...], "notes": [...]}``."""
        return {
            "family": self.family,
            **self.params,
            "designs": [d.to_dict() for d in self.designs],
            "notes": list(self.notes),
        }

    def design(self, kind: str) -> FamilyDesign:
        """The design of the given kind (DesignError naming the kinds there are)."""
        for d in self.designs:
            if d.kind == kind:
                return d
        raise DesignError(f"kind must be one of {', '.join(d.kind for d in self.designs)}, got {kind!r}")


#: Family name -> function(**options) -> FamilyResult.
FAMILIES: dict[str, Callable[..., FamilyResult]] = {}


def register_family(name: str) -> Callable[[Callable[..., FamilyResult]], Callable[..., FamilyResult]]:
    """Decorator: make a function available as ``simtrial design --family NAME``."""

    def deco(func: Callable[..., FamilyResult]) -> Callable[..., FamilyResult]:
        FAMILIES[name] = func
        return func

    return deco


def _load_families() -> None:
    # Importing the family modules registers them.
    import simtrial.design.bop2  # noqa: F401  (one import per family module)
    import simtrial.design.joint  # noqa: F401  (bryant-day)
    import simtrial.design.multistage  # noqa: F401  (mander-thompson, chen, fleming)
    import simtrial.design.predictive  # noqa: F401
    import simtrial.design.simon_family  # noqa: F401
    import simtrial.design.thall_simon  # noqa: F401


def option_flag(name: str) -> str:
    """The command-line spelling of an option name (``theta_t`` -> ``--theta-t``)."""
    return "--" + name.rstrip("_").replace("_", "-")


def find_designs(family: str, **options: Any) -> FamilyResult:
    """Run family ``family`` with ``options`` (None values are left out).

    Raises
    ------
    DesignError
        For an unknown family (the known ones listed) or an option that does
        not apply to it.
    """
    _load_families()
    if family not in FAMILIES:
        raise DesignError(f"--family must be one of {', '.join(sorted(FAMILIES))}, got {family!r}")
    func = FAMILIES[family]
    given = {k: v for k, v in options.items() if v is not None}
    accepted = inspect.signature(func).parameters
    stray = [k for k in given if k not in accepted]
    if stray:
        raise DesignError(f"{', '.join(option_flag(k) for k in stray)}: does not apply to --family {family}")
    return func(**given)


def family_design_from_table(family: str, kind: str, table: DecisionTable, p0: float, p1: float,
                             extra: dict[str, Any] | None = None) -> FamilyDesign:
    """A :class:`FamilyDesign` with its properties computed exactly from ``table`` at ``p0`` and ``p1``."""
    oc = table.oc([p0, p1])
    return FamilyDesign(
        family=family,
        kind=kind,
        table=table,
        en0=float(oc.en[0]),
        en1=float(oc.en[1]),
        pet0=float(oc.pet[0]),
        alpha=float(oc.p_reject[0]),
        power=float(oc.p_reject[1]),
        extra=dict(extra or {}),
    )
