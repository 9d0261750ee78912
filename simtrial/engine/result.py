"""Result types of a patient-level simulation.

These are plain frozen data: the engine fills them, and plots, reports and
sweeps read them. Nothing here imports numba.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Estimate", "ScenarioResult", "PairedDifference", "SimulationResult"]


@dataclass(frozen=True)
class Estimate:
    """A simulated quantity with its Monte Carlo standard error.

    Attributes
    ----------
    value : float
        The Monte Carlo estimate.
    se : float
        Its Monte Carlo standard error: ``sqrt(p (1 - p) / n_sim)`` for a
        probability, the sample standard deviation over ``sqrt(n_sim)`` for a
        mean, a delta-method SE for a ratio, and half the width of the ±1 SD
        rank interval for a quantile; ``nan`` where none applies.
    exact : float or None
        The exact value where the model reduces to the binomial design
        (every patient evaluable, no toxicity rule, no accrual cap), else None.
    """

    value: float
    se: float
    exact: float | None = None

    def z(self) -> float:
        """Standardised distance ``(value - exact) / se`` (nan without an exact value)."""
        if self.exact is None or not self.se > 0:
            return float("nan")
        return (self.value - self.exact) / self.se


@dataclass(frozen=True)
class ScenarioResult:
    """Operating characteristics of one design under one scenario (one assumed truth).

    Attributes
    ----------
    name : str
        Scenario name from the config (``"null"``, ``"alternative"`` ...).
    design : str
        Name of the design simulated.
    truth : Mapping[str, float]
        The scenario's parameters (``p_response``, ``p_tox`` ...).
    metrics : Mapping[str, Estimate]
        Ordered metrics, keyed as :data:`simtrial.engine.outcomes.METRICS`
        declares them (``p_promising``, ``pet``, ``en_enrolled`` ...), plus
        ``pet_look<k>`` for every interim look of a table with three or more looks.
    decisions : ndarray
        ``int64[categories, K + 1]``: trials by terminal category
        (:data:`simtrial.engine.outcomes.CATEGORIES`) and the look that
        decided (column 0: none, a toxicity-rule stop or the cap).
    duration_hist : tuple of ndarray
        ``(edges_days float64[k+1], counts int64[k])``: trials by duration.
    enrolled_counts, evaluable_counts, tox_counts : ndarray
        ``int64[n_max+1]``: trials with exactly i patients enrolled /
        evaluable / with a grade >= 3 toxicity.
    accrual_curve : tuple of ndarray
        ``(t_days float64[m], mean_enrolled float64[m])``: mean cumulative
        number enrolled by calendar time t.
    survival_sample : tuple of ndarray
        ``(time_days float64[j], event int8[j], responder int8[j])`` for the
        patients of the first replicates, followed up to the trial's end.
    rdi_hist : tuple of ndarray
        ``(edges float64[k+1], counts int64[k])``: treated patients by
        relative dose intensity.
    """

    name: str
    truth: Mapping[str, float]
    metrics: Mapping[str, Estimate]
    duration_hist: tuple[np.ndarray, np.ndarray]
    enrolled_counts: np.ndarray
    evaluable_counts: np.ndarray
    accrual_curve: tuple[np.ndarray, np.ndarray]
    survival_sample: tuple[np.ndarray, np.ndarray, np.ndarray]
    tox_counts: np.ndarray
    rdi_hist: tuple[np.ndarray, np.ndarray]
    design: str = "design"
    decisions: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))


@dataclass(frozen=True)
class PairedDifference:
    """A difference between two designs on one cohort, or between two scenarios, over paired replicates.

    Attributes
    ----------
    between : str
        ``"designs"`` (``a`` and ``b`` are designs, under scenario ``within``)
        or ``"scenarios"`` (``a`` and ``b`` are scenarios, for design ``within``).
    a, b, within : str
    metric : str
        One of :data:`simtrial.engine.outcomes.PAIR_METRICS`.
    value : float
        Mean over replicates of ``Y_a - Y_b`` (durations in months).
    se : float
        Paired Monte Carlo SE, ``sqrt(var(Y_a - Y_b) / n_sim)``.
    se_independent : float
        The SE two independent runs of the same size would give,
        ``sqrt((var(Y_a) + var(Y_b)) / n_sim)``: what pairing saves.
    exact : float or None
        The exact difference where both reduce to the binomial design.
    """

    between: str
    a: str
    b: str
    within: str
    metric: str
    value: float
    se: float
    se_independent: float
    exact: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the fields."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SimulationResult:
    """Everything one ``simulate`` call produced.

    Attributes
    ----------
    config : dict
        The resolved, validated config (JSON-compatible).
    designs : tuple of simtrial.model.designs.ResolvedDesign
        The designs simulated on each cohort (the first is the primary one).
    seed, n_sim, threads : int
        Reproduce the run with these.
    version : str
        simtrial version that produced it.
    elapsed_seconds : float
        Wall time of the simulation.
    units : tuple of ScenarioResult
        One per scenario and design, scenario by scenario.
    differences : tuple of PairedDifference
        Between every two designs under each scenario, and between
        neighbouring scenarios (config order) for each design.
    replicates : pandas.DataFrame or None
        Per-replicate records when requested, else None.
    """

    config: dict[str, Any]
    designs: tuple[Any, ...]
    seed: int
    n_sim: int
    threads: int
    version: str
    elapsed_seconds: float
    units: tuple[ScenarioResult, ...]
    differences: tuple[PairedDifference, ...] = ()
    replicates: Any = field(default=None, compare=False, repr=False)

    @property
    def design(self) -> Any:
        """The primary (first) design."""
        return self.designs[0]

    @property
    def design_names(self) -> tuple[str, ...]:
        """Names of the designs, in config order."""
        return tuple(d.name for d in self.designs)

    @property
    def scenarios(self) -> tuple[ScenarioResult, ...]:
        """The primary design's result under each scenario."""
        return self.for_design(self.designs[0].name)

    def for_design(self, name: str) -> tuple[ScenarioResult, ...]:
        """One design's result under each scenario (KeyError naming the designs)."""
        got = tuple(u for u in self.units if u.design == name)
        if not got:
            raise KeyError(f"no design {name!r}; known: {', '.join(self.design_names)}")
        return got

    def scenario(self, name: str, design: str | None = None) -> ScenarioResult:
        """The result under scenario ``name`` (for ``design``, default the primary one)."""
        rows = self.for_design(design or self.designs[0].name)
        for s in rows:
            if s.name == name:
                return s
        raise KeyError(f"no scenario {name!r}; known: {', '.join(s.name for s in rows)}")

    def difference(self, metric: str, a: str, b: str, within: str) -> PairedDifference:
        """The paired difference of ``metric`` between ``a`` and ``b`` (designs or scenarios) within ``within``."""
        for d in self.differences:
            if d.metric == metric and d.a == a and d.b == b and d.within == within:
                return d
        raise KeyError(f"no paired difference of {metric} between {a!r} and {b!r} within {within!r}")

    def to_frame(self):
        """Long (tidy) table: one row per scenario x design x metric with value, se, exact."""
        import pandas as pd

        rows = [
            {"scenario": s.name, "design": s.design, "metric": k, "value": e.value, "se": e.se, "exact": e.exact}
            for s in self.units
            for k, e in s.metrics.items()
        ]
        return pd.DataFrame(rows, columns=["scenario", "design", "metric", "value", "se", "exact"])
