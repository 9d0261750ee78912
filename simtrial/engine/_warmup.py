"""Compile every kernel once (fills numba's on-disk cache for later runs)."""

from __future__ import annotations

__all__ = ["warmup", "warmup_config"]


def warmup_config():
    """A tiny config that reaches every kernel and every branch type."""
    from simtrial.model import parse_config

    return parse_config(
        {
            "schema_version": 1,
            "name": "warmup",
            "enrollment": {"rates": [{"per_month": 1.0, "duration": "1 month"}, {"per_month": 2.0}]},
            "treatment": {
                "cycle_length": "28 days",
                "max_cycles": 2,
                "drugs": [{"name": "a", "dose": 2.0, "days": "1-21", "reductions": [1.0]}],
            },
            "survival": {"median": "6 months"},
            "design": {"r1": 0, "n1": 3, "r": 1, "n": 6,
                       "toxicity_stop": {"threshold": 0.5, "posterior_bound": 0.9}},
            "scenarios": [{"name": "w", "p_response": 0.3, "p_tox": 0.2}],
        }
    )


def warmup() -> None:
    """Run a two-replicate simulation so every kernel is compiled and cached."""
    from simtrial.engine.simulate import simulate

    from simtrial.engine.followup_sim import warmup_followup

    simulate(warmup_config(), n_sim=2, seed=0, threads=1)
    warmup_followup()
