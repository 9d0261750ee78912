"""Sizing the follow-up trial: single-arm designs, a randomized trial, assurance.

Closed forms (:mod:`simtrial.followup.closed`), assurance under a Beta design
prior (:mod:`simtrial.followup.assurance`), the simulated sample size and its
uncertainty (:mod:`simtrial.followup.search`) and the whole ``followup:``
block of a config (:func:`size_followup`).
"""

from simtrial.followup.assurance import (
    BetaMixturePrior,
    assurance_simon,
    assurance_single_stage,
    assurance_two_proportions,
    prior_from_trial,
    simulate_assurance_simon,
    simulate_assurance_single_stage,
    simulate_assurance_two_proportions,
)
from simtrial.followup.closed import (
    SingleStageDesign,
    SingleStageSearch,
    allocation_counts,
    analysis_time_for_events,
    event_probability,
    expected_events,
    fisher_power_exact,
    schoenfeld_events,
    schoenfeld_patients,
    schoenfeld_power,
    single_stage_critical,
    single_stage_search,
    two_proportion_power_exact,
    two_proportion_power_normal,
)
from simtrial.followup.search import SampleSizeAnswer, sample_size_from_replicates, stable_crossing
from simtrial.followup.size import (
    AssuranceSizing,
    FollowupResult,
    RandomizedSizing,
    SingleArmSizing,
    assurance_curve,
    size_followup,
    size_randomized,
    size_single_arm,
)

__all__ = [
    "BetaMixturePrior",
    "prior_from_trial",
    "assurance_single_stage",
    "assurance_simon",
    "simulate_assurance_single_stage",
    "simulate_assurance_simon",
    "assurance_two_proportions",
    "simulate_assurance_two_proportions",
    "SingleStageDesign",
    "SingleStageSearch",
    "single_stage_critical",
    "single_stage_search",
    "allocation_counts",
    "schoenfeld_events",
    "schoenfeld_power",
    "schoenfeld_patients",
    "event_probability",
    "expected_events",
    "analysis_time_for_events",
    "two_proportion_power_normal",
    "two_proportion_power_exact",
    "fisher_power_exact",
    "SampleSizeAnswer",
    "sample_size_from_replicates",
    "stable_crossing",
    "SingleArmSizing",
    "RandomizedSizing",
    "AssuranceSizing",
    "FollowupResult",
    "size_single_arm",
    "size_randomized",
    "assurance_curve",
    "size_followup",
]
