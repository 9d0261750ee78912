"""Designs side by side: exact properties and the same simulated patients.

:func:`compare_designs` reads a simulation of several designs (a config's
``designs:`` list, every design run on the same patients) and lays out, per
design, its exact operating characteristics at ``p0`` and ``p1`` beside the
simulated decisions, size and duration under each scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DesignComparison", "ComparedDesign", "compare_designs"]


@dataclass(frozen=True)
class ComparedDesign:
    """One design of a comparison.

    Attributes
    ----------
    name, label : str
        The design's name in the config and its bounds in words.
    n_max : int
        Most evaluable patients.
    exact : dict
        ``en0``, ``en1``, ``pet0``, ``alpha``, ``power`` from the exact
        decision table at ``p0`` and ``p1`` (binomial model; empty when they
        are unknown or the design monitors toxicity jointly).
    simulated : dict
        Per scenario name: ``p_promising``, ``en_enrolled``, ``en_evaluable``,
        ``duration_median_months``, ``n_tox_patients``, each an
        :class:`~simtrial.engine.result.Estimate`.
    """

    name: str
    label: str
    n_max: int
    exact: dict[str, float]
    simulated: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, label, n_max, the exact values, and per scenario ``{metric: value, metric_se: se}``."""
        sim = {sc: {k2: v for k, e in m.items() for k2, v in ((k, e.value), (f"{k}_se", e.se))}
               for sc, m in self.simulated.items()}
        return {"name": self.name, "label": self.label, "n_max": self.n_max, **self.exact, "simulated": sim}


@dataclass(frozen=True)
class DesignComparison:
    """Designs compared on the same simulated patients.

    Attributes
    ----------
    p0, p1 : float or None
        The rates at which the exact values are given.
    scenarios : tuple of str
    designs : tuple of ComparedDesign
    n_sim, seed : int
    """

    p0: float | None
    p1: float | None
    scenarios: tuple[str, ...]
    designs: tuple[ComparedDesign, ...]
    n_sim: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """``{"p0", "p1", "n_sim", "seed", "scenarios", "designs": [...]}``."""
        return {"p0": self.p0, "p1": self.p1, "n_sim": self.n_sim, "seed": self.seed,
                "scenarios": list(self.scenarios), "designs": [d.to_dict() for d in self.designs]}

    def to_frame(self):
        """One row per design (exact columns) and scenario (simulated columns), long format."""
        import pandas as pd

        rows = []
        for d in self.designs:
            for sc, m in d.simulated.items():
                for key, est in m.items():
                    rows.append({"design": d.name, "scenario": sc, "metric": key, "value": est.value, "se": est.se})
        return pd.DataFrame(rows, columns=["design", "scenario", "metric", "value", "se"])


_SIMULATED = ("p_promising", "pet", "en_enrolled", "en_evaluable", "duration_median_months", "n_tox_patients")


def compare_designs(result: Any) -> DesignComparison:
    """Lay out every design of a simulation side by side.

    Parameters
    ----------
    result : SimulationResult
        A run of one or more designs (a config's ``designs:`` list).

    Returns
    -------
    DesignComparison
    """
    from simtrial.plots.design import design_hypotheses

    p0, p1 = design_hypotheses(result.config)
    rows = []
    for dz in result.designs:
        tab = dz.table
        exact: dict[str, float] = {}
        if p0 is not None and p1 is not None and not tab.is_joint:
            oc = tab.oc([p0, p1])
            exact = {"en0": float(oc.en[0]), "en1": float(oc.en[1]), "pet0": float(oc.pet[0]),
                     "alpha": float(oc.p_reject[0]), "power": float(oc.p_reject[1])}
        sim = {s.name: {k: s.metrics[k] for k in _SIMULATED} for s in result.for_design(dz.name)}
        rows.append(ComparedDesign(dz.name, dz.label, tab.n_max, exact, sim))
    return DesignComparison(p0, p1, tuple(s.name for s in result.scenarios), tuple(rows), result.n_sim, result.seed)
