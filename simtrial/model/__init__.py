"""The trial as typed data: YAML schema, defaults and validation.

>>> from simtrial.model import load_config  # doctest: +SKIP
>>> cfg = load_config("configs/len_dex.yaml")  # doctest: +SKIP
"""

from simtrial.model.load import load_config, parse_config
from simtrial.model.trial import (
    SCHEMA_VERSION,
    DesignConfig,
    DrugConfig,
    EnrollmentConfig,
    EvaluabilityConfig,
    RatePiece,
    ResponseConfig,
    ScenarioConfig,
    SimulationConfig,
    SurvivalConfig,
    ToxicityConfig,
    ToxicityStopRule,
    TreatmentConfig,
    TrialConfig,
)
from simtrial.model.units import DAYS_PER_MONTH, parse_duration

__all__ = [
    "TrialConfig",
    "load_config",
    "parse_config",
    "SCHEMA_VERSION",
    "DAYS_PER_MONTH",
    "parse_duration",
    "DesignConfig",
    "DrugConfig",
    "EnrollmentConfig",
    "EvaluabilityConfig",
    "RatePiece",
    "ResponseConfig",
    "ScenarioConfig",
    "SimulationConfig",
    "SurvivalConfig",
    "ToxicityConfig",
    "ToxicityStopRule",
    "TreatmentConfig",
]
