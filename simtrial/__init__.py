"""simtrial: design, simulate and justify phase 2 oncology trials: Simon and the designs weighed against it.

The public API is re-exported here. Names are resolved on first use
(PEP 562), so ``import simtrial`` and the command line start quickly: numba,
scipy and matplotlib load only when something needs them, and the version
(``importlib.metadata``, about 40 ms) only when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("simtrial-phase2")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"

_EXPORTS: dict[str, str] = {
    # exact design maths
    "SimonDesign": "simtrial.design",
    "OperatingCharacteristics": "simtrial.design",
    "simon_search": "simtrial.design",
    "SimonSearchResult": "simtrial.design",
    "SearchedDesign": "simtrial.design",
    "two_stage_inference": "simtrial.design",
    "TwoStageInference": "simtrial.design",
    "clopper_pearson": "simtrial.design",
    "wilson": "simtrial.design",
    # the trial model
    "TrialConfig": "simtrial.model",
    "load_config": "simtrial.model",
    "parse_config": "simtrial.model",
    # simulation
    "simulate": "simtrial.engine",
    "warmup": "simtrial.engine",
    "SimulationResult": "simtrial.engine",
    "ScenarioResult": "simtrial.engine",
    "Estimate": "simtrial.engine",
    "save_run": "simtrial.io",
    "load_run": "simtrial.io",
    # sweeps
    "SweepSpec": "simtrial.sweep",
    "SweepConfig": "simtrial.sweep",
    "SweepOutcome": "simtrial.sweep",
    "load_sweep": "simtrial.sweep",
    "parse_sweep": "simtrial.sweep",
    "run_sweep": "simtrial.sweep",
    # follow-up sizing
    "size_followup": "simtrial.followup",
    "FollowupResult": "simtrial.followup",
    "single_stage_search": "simtrial.followup",
    "schoenfeld_events": "simtrial.followup",
    "prior_from_trial": "simtrial.followup",
    # figures and report
    "plot_oc": "simtrial.plots",
    "plot_pet_en": "simtrial.plots",
    "plot_designs": "simtrial.plots",
    "plot_duration": "simtrial.plots",
    "plot_accrual": "simtrial.plots",
    "plot_toxicity": "simtrial.plots",
    "plot_rdi": "simtrial.plots",
    "plot_survival": "simtrial.plots",
    "plot_sweep_lines": "simtrial.plots",
    "plot_sweep_heatmap": "simtrial.plots",
    "write_report": "simtrial.report",
    "write_sweep_report": "simtrial.report",
    "load_finished_sweep": "simtrial.report",
    # errors
    "SimtrialError": "simtrial.errors",
    "ConfigError": "simtrial.errors",
    "DesignError": "simtrial.errors",
    "InfeasibleDesignError": "simtrial.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = globals()["__version__"] = _version()
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simtrial' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
