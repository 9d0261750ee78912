"""Exact design maths: decision tables, Simon designs, operating characteristics, search and inference.

Everything here is exact and deterministic (no simulation) and depends on no
other part of simtrial except :mod:`simtrial.errors`.
"""

from simtrial.design.inference import (
    StagewiseOutcomes,
    TableInference,
    TwoStageInference,
    clopper_pearson,
    table_inference,
    two_stage_inference,
    wilson,
)
from simtrial.design.interim import (
    InterimResult,
    InterimTable,
    conditional_power,
    interim_analysis,
    interim_table,
    predictive_power,
)
from simtrial.design.joint import BryantDayDesign, BryantDaySearchResult, bryant_day_search
from simtrial.design.search import HARD_NMAX, SearchedDesign, SimonSearchResult, simon_search
from simtrial.design.simon import OperatingCharacteristics, SimonDesign
from simtrial.design.tables import DecisionTable, TableOC, ToxicityMonitor

__all__ = [
    "DecisionTable",
    "TableOC",
    "ToxicityMonitor",
    "SimonDesign",
    "OperatingCharacteristics",
    "simon_search",
    "SimonSearchResult",
    "SearchedDesign",
    "HARD_NMAX",
    "two_stage_inference",
    "TwoStageInference",
    "clopper_pearson",
    "wilson",
    "table_inference",
    "TableInference",
    "StagewiseOutcomes",
    "conditional_power",
    "predictive_power",
    "interim_analysis",
    "interim_table",
    "InterimResult",
    "InterimTable",
    "BryantDayDesign",
    "BryantDaySearchResult",
    "bryant_day_search",
]
