"""Result types of a patient-level simulation.

These are plain frozen data: the engine fills them, and plots, reports and
sweeps read them. Nothing here imports numba.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Estimate", "ScenarioResult", "SimulationResult"]


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
        mean, and an asymptotic (density-based) SE for a quantile; ``nan``
        where none applies.
    exact : float or None
        The exact value where the model reduces to the binomial two-stage
        design (every patient evaluable, no toxicity stopping), else None.
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
    """Operating characteristics of one scenario (one assumed truth).

    Attributes
    ----------
    name : str
        Scenario name from the config (``"null"``, ``"alternative"`` ...).
    truth : Mapping[str, float]
        The scenario's parameters (``p_response``, ``p_tox`` ...).
    metrics : Mapping[str, Estimate]
        Ordered metrics. Always present: ``p_promising``, ``pet``,
        ``p_stop_tox``, ``en_enrolled``, ``en_evaluable``,
        ``enrolled_p10``, ``enrolled_median``, ``enrolled_p90``,
        ``duration_mean_months``, ``duration_median_months``,
        ``duration_p10_months``, ``duration_p90_months``,
        ``n_tox_patients`` (mean patients with a grade >= 3 toxicity per
        trial), ``rdi_mean`` (mean relative dose intensity of treated
        patients), ``deaths_on_study`` (mean per trial).
    duration_hist : tuple of ndarray
        ``(edges_days float64[k+1], counts int64[k])``: trials by duration.
    enrolled_counts : ndarray
        ``int64[n_max+1]``: number of trials that enrolled exactly i patients.
    evaluable_counts : ndarray
        ``int64[n_max+1]``: number of trials with exactly i evaluable patients.
    accrual_curve : tuple of ndarray
        ``(t_days float64[m], mean_enrolled float64[m])``: mean cumulative
        number enrolled by calendar time t (shows the stage-1 pause).
    survival_sample : tuple of ndarray
        ``(time_days float64[j], event int8[j], responder int8[j])`` for the
        patients of the first few replicates, for Kaplan-Meier plots.
    tox_counts : ndarray
        ``int64[n_max+1]``: number of trials with exactly i patients who had a
        grade >= 3 toxicity.
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


@dataclass(frozen=True)
class SimulationResult:
    """Everything one ``simulate`` call produced.

    Attributes
    ----------
    config : dict
        The resolved, validated config (JSON-compatible).
    design : simtrial.design.SimonDesign
        The two-stage design simulated (explicit or found by search).
    seed, n_sim, threads : int
        Reproduce the run with these.
    version : str
        simtrial version that produced it.
    elapsed_seconds : float
        Wall time of the simulation.
    scenarios : tuple of ScenarioResult
    replicates : pandas.DataFrame or None
        Per-replicate output when requested, else None.
    """

    config: dict[str, Any]
    design: Any
    seed: int
    n_sim: int
    threads: int
    version: str
    elapsed_seconds: float
    scenarios: tuple[ScenarioResult, ...]
    replicates: Any = field(default=None, compare=False, repr=False)

    def scenario(self, name: str) -> ScenarioResult:
        """The scenario called ``name`` (KeyError naming the known ones)."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(f"no scenario {name!r}; known: {', '.join(s.name for s in self.scenarios)}")

    def to_frame(self):
        """Long (tidy) table: one row per scenario x metric with value, se, exact."""
        import pandas as pd

        rows = [
            {"scenario": s.name, "metric": k, "value": e.value, "se": e.se, "exact": e.exact}
            for s in self.scenarios
            for k, e in s.metrics.items()
        ]
        return pd.DataFrame(rows, columns=["scenario", "metric", "value", "se", "exact"])
