"""Sizing the follow-up trial: single-arm designs, a randomized trial, assurance.

:func:`size_followup` reads the ``followup:`` block of a trial config and
returns a :class:`FollowupResult` holding, side by side, the exact / closed
form answers and the simulated ones.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simtrial.followup import closed as C
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
from simtrial.followup.search import SampleSizeAnswer, sample_size_from_replicates

if TYPE_CHECKING:
    from simtrial.engine.followup_sim import RandomizedSimulation
    from simtrial.model import TrialConfig
    from simtrial.model.followup import AssuranceSpec, RandomizedFollowup, SingleArmFollowup

__all__ = [
    "SingleArmSizing",
    "RandomizedSizing",
    "AssuranceSizing",
    "FollowupResult",
    "size_single_arm",
    "size_randomized",
    "assurance_curve",
    "size_followup",
]

# Spawn-key components (with the user seed) of the follow-up's random streams,
# distinct from each other and from the trial scenarios' streams.
_KEY_BOOT = 7008
_KEY_ASSURANCE = 7009
_KEY_ASSURANCE_SIMON = 7010
_KEY_ASSURANCE_RANDOMIZED = 7011

DAYS_PER_MONTH = 365.25 / 12.0

# Largest total N up to which the closed-form exact powers are scanned at every N.
_SCAN_ALL_UP_TO = 600


# ---------------------------------------------------------------------------
# single arm
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SingleArmSizing:
    """Single-arm follow-up designs for the new (p0, p1).

    Attributes
    ----------
    spec : SingleArmFollowup
    simon : simtrial.design.SimonSearchResult
        Optimal, minimax and admissible Simon designs.
    design : simtrial.design.SimonDesign
        The one chosen by ``spec.kind`` (the one simulated).
    single_stage : SingleStageSearch
        Exact single-stage binomial designs (smallest and stable n).
    simulation : simtrial.engine.result.SimulationResult or None
        Patient-level simulation of ``design`` at p0 and p1 (duration,
        toxicity burden), when asked for.
    """

    spec: Any
    simon: Any
    design: Any
    single_stage: C.SingleStageSearch
    simulation: Any = None

    def designs_frame(self):
        """Optimal, minimax and the stable / smallest single-stage designs in one table."""
        import pandas as pd

        rows = []
        for label, cand in (("Simon optimal", self.simon.optimal), ("Simon minimax", self.simon.minimax)):
            d = cand.design
            rows.append(
                {"design": label, "r1": d.r1, "n1": d.n1, "r": d.r, "n": d.n, "en0": cand.en0,
                 "pet0": cand.pet0, "alpha": cand.alpha, "power": cand.power}
            )  # fmt: skip
        for label, d in (("single-stage smallest", self.single_stage.smallest),
                         ("single-stage stable", self.single_stage.stable)):  # fmt: skip
            if d is not None:
                rows.append(
                    {"design": label, "r1": None, "n1": None, "r": d.r, "n": d.n, "en0": float(d.n),
                     "pet0": 0.0, "alpha": d.alpha, "power": d.power}
                )  # fmt: skip
        return pd.DataFrame(rows)


def _single_arm_config(config: TrialConfig, spec: SingleArmFollowup, design: Any) -> dict[str, Any]:
    """The trial config with the follow-up's design, accrual and (p0, p1) scenarios."""
    raw = config.to_dict()
    old = raw["design"]
    raw["design"] = {
        "r1": design.r1, "n1": design.n1, "r": design.r, "n": design.n,
        "pause_after_stage1": old.get("pause_after_stage1", True),
        "toxicity_stop": old.get("toxicity_stop"),
    }  # fmt: skip
    if spec.accrual_per_month is not None:
        raw["enrollment"] = {**raw["enrollment"], "rates": [{"per_month": spec.accrual_per_month}]}
    if raw.get("evaluability", {}).get("max_enrolled") is not None:
        raw["evaluability"] = {**raw["evaluability"], "max_enrolled": None}
    first = raw["scenarios"][0]
    p_tox = first.get("p_tox", 0.0) if spec.p_tox is None else spec.p_tox
    raw["scenarios"] = [
        {"name": "p0", "p_response": spec.p0, "p_tox": p_tox, "description": "follow-up null response rate"},
        {"name": "p1", "p_response": spec.p1, "p_tox": p_tox, "description": "follow-up target response rate"},
    ]
    raw["followup"] = None
    raw["sweep"] = None
    return raw


def size_single_arm(
    spec: SingleArmFollowup,
    *,
    config: TrialConfig | None = None,
    seed: int = 1,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SingleArmSizing:
    """Simon and single-stage designs for the follow-up, and the patient-level simulation of one.

    Parameters
    ----------
    spec : SingleArmFollowup
    config : TrialConfig or None
        The trial whose patient model (treatment, toxicity, survival,
        accrual) the simulation reuses; without it no simulation is run.
    seed, threads, progress
        Passed to :func:`simtrial.engine.simulate`.
    """
    from simtrial.design import simon_search

    kwargs = {} if spec.nmax is None else {"nmax": spec.nmax}
    simon = simon_search(spec.p0, spec.p1, spec.alpha, spec.beta, candidates="frontier", **kwargs)
    chosen = (simon.optimal if spec.kind == "optimal" else simon.minimax).design
    nmax_ss = max(200, 2 * chosen.n)
    single = C.single_stage_search(spec.p0, spec.p1, spec.alpha, spec.beta, nmax=nmax_ss)
    sim = None
    if spec.simulate and config is not None:
        from simtrial.engine import simulate
        from simtrial.model import parse_config

        sub = parse_config(_single_arm_config(config, spec, chosen), source="followup.single_arm")
        sim = simulate(sub, n_sim=spec.n_sim, seed=seed, threads=threads, progress=progress)
    return SingleArmSizing(spec=spec, simon=simon, design=chosen, single_stage=single, simulation=sim)


# ---------------------------------------------------------------------------
# randomized
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RandomizedSizing:
    """Power against sample size of the randomized follow-up, simulated and closed form.

    Attributes
    ----------
    spec : RandomizedFollowup
    simulation : simtrial.engine.followup_sim.RandomizedSimulation
    answer : SampleSizeAnswer
        N* from the simulation and its Monte Carlo uncertainty.
    table : pandas.DataFrame
        One row per candidate N: arm sizes, simulated power and SE, and the
        closed-form power(s); for survival also the simulated and expected
        deaths and analysis time (months).
    closed_form : dict
        Closed-form sample sizes (documented keys; ``None`` when not reached).
    """

    spec: Any
    simulation: Any
    answer: SampleSizeAnswer
    table: Any
    closed_form: dict[str, Any]


def _scan_first_and_stable(power_of: Callable[[int], float], n_values: Sequence[int], target: float):
    """Smallest n reaching ``target`` and smallest n from which all later n (in ``n_values``) reach it."""
    ok = np.array([power_of(n) >= target for n in n_values])
    ns = np.array(list(n_values))
    first = int(ns[np.argmax(ok)]) if ok.any() else None
    stable = None
    if ok.size and ok[-1]:
        bad = np.flatnonzero(~ok)
        stable = int(ns[bad[-1] + 1]) if bad.size else int(ns[0])
    return first, stable


def _response_closed(spec: RandomizedFollowup, table: dict[str, list], sizes: np.ndarray) -> dict[str, Any]:
    pc, pe, a, s = spec.response.control, spec.response.experimental, spec.alpha, spec.sided
    k = spec.allocation_ratio
    n_c, n_e = C.allocation_counts(sizes, k)
    table["power_normal"] = [C.two_proportion_power_normal(pc, pe, int(x), int(y), a, s) for x, y in zip(n_c, n_e)]
    table["power_exact_z"] = [C.two_proportion_power_exact(pc, pe, int(x), int(y), a, s) for x, y in zip(n_c, n_e)]
    table["power_fisher"] = [C.fisher_power_exact(pc, pe, int(x), int(y), a, s) for x, y in zip(n_c, n_e)]

    def arms(n: int) -> tuple[int, int]:
        c, e = C.allocation_counts(n, k)
        return int(c), int(e)

    def valid(n: int) -> bool:
        c, e = arms(n)
        return c >= 1 and e >= 1

    target = spec.target_power
    top = int(sizes[-1])
    # Every integer N is scanned (the exact powers are saw-toothed) while that
    # stays cheap; beyond _SCAN_ALL_UP_TO only the candidate sizes are scanned.
    n_range = range(2, top + 1) if top <= _SCAN_ALL_UP_TO else [int(n) for n in sizes]
    normal_first, _ = _scan_first_and_stable(
        lambda n: C.two_proportion_power_normal(pc, pe, *arms(n), a, s) if valid(n) else 0.0, n_range, target
    )
    exact_first, exact_stable = _scan_first_and_stable(
        lambda n: C.two_proportion_power_exact(pc, pe, *arms(n), a, s) if valid(n) else 0.0, n_range, target
    )
    fisher_first, fisher_stable = _scan_first_and_stable(
        lambda n: C.fisher_power_exact(pc, pe, *arms(n), a, s) if valid(n) else 0.0, n_range, target
    )
    return {
        "scope": "total N (both arms); arm sizes from the allocation ratio",
        "normal_n": normal_first,
        "exact_z_n_first": exact_first,
        "exact_z_n_stable": exact_stable,
        "fisher_n_first": fisher_first,
        "fisher_n_stable": fisher_stable,
        "searched_up_to": top,
        "searched": "every N" if top <= _SCAN_ALL_UP_TO else "the candidate sizes only",
    }


def _survival_closed(
    spec: RandomizedFollowup, table: dict[str, list], sizes: np.ndarray, sim: RandomizedSimulation
) -> dict[str, Any]:
    sv, an = spec.survival, spec.analysis
    k, a, s = spec.allocation_ratio, spec.alpha, spec.sided
    common = dict(
        accrual_rate_per_day=spec.accrual_rate_per_day,
        scale_days=sv.control_scale_days,
        shape=sv.shape,
        hazard_ratio=sv.hazard_ratio,
        ratio=k,
        dropout_rate=spec.dropout_rate_per_day,
    )
    table["events_mean"] = list(sim.events.mean(axis=0))
    table["analysis_months_mean"] = list(sim.analysis_days.mean(axis=0) / DAYS_PER_MONTH)
    exp_events, exp_time = [], []
    for n in sizes:
        n = int(n)
        if an.mode == "calendar":
            d = C.expected_events(n, an.calendar, **common)
            t = an.calendar
        else:
            d = float(an.events if an.mode == "events" else math.ceil(an.event_fraction * n - 1e-9))
            t = C.analysis_time_for_events(n, d, **common)
        exp_events.append(d)
        exp_time.append(float("nan") if t is None else t / DAYS_PER_MONTH)
    table["events_expected"] = exp_events
    table["analysis_months_expected"] = exp_time
    table["power_schoenfeld"] = [C.schoenfeld_power(d, sv.hazard_ratio, a, k, s) if d > 0 else 0.0 for d in exp_events]
    d_req = C.schoenfeld_events(sv.hazard_ratio, a, spec.target_power, k, s)
    out: dict[str, Any] = {
        "scope": "events and patients are totals over both arms",
        "schoenfeld_events": d_req,
        "schoenfeld_events_rounded": math.ceil(d_req),
    }
    d_int = math.ceil(d_req)
    if an.mode == "calendar":
        out["patients"] = C.schoenfeld_patients(d_int, an.calendar, **common)
        out["rule"] = "smallest N whose expected deaths by the analysis date reach the Schoenfeld events"
    elif an.mode == "event_fraction":
        out["patients"] = math.ceil(d_int / an.event_fraction - 1e-9)
        out["rule"] = "Schoenfeld events / event_fraction"
    else:
        out["patients"] = None
        out["rule"] = (
            f"analysis at {an.events} deaths: Schoenfeld power "
            f"{C.schoenfeld_power(an.events, sv.hazard_ratio, a, k, s):.4f} whatever N >= {an.events}"
        )
    return out


def size_randomized(
    spec: RandomizedFollowup,
    *,
    seed: int = 1,
    threads: int | None = None,
    n_boot: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> RandomizedSizing:
    """Power curve of the randomized follow-up by simulation, the closed forms beside it, and N*.

    Parameters
    ----------
    spec : RandomizedFollowup
    seed : int
    threads : int or None
    n_boot : int
        Bootstrap resamples for the uncertainty of N*.
    progress : callable or None
        Called with the number of replicates just finished.
    """
    import pandas as pd

    from simtrial.engine._rng import scenario_key
    from simtrial.engine.followup_sim import simulate_randomized

    sizes = np.array(spec.n_grid.values(), dtype=np.int64)
    sim = simulate_randomized(spec, sizes, n_sim=spec.n_sim, seed=seed, threads=threads, progress=progress)
    answer = sample_size_from_replicates(
        sim.sizes, sim.reject, spec.target_power, n_boot=n_boot, key=int(scenario_key(seed, _KEY_BOOT))
    )
    power, se = sim.power()
    table: dict[str, list] = {
        "n": list(sim.sizes),
        "n_control": list(sim.n_control),
        "n_experimental": list(sim.n_experimental),
        "power_sim": list(power),
        "se": list(se),
    }
    if spec.endpoint == "response":
        closed = _response_closed(spec, table, sim.sizes)
    else:
        closed = _survival_closed(spec, table, sim.sizes, sim)
    return RandomizedSizing(spec=spec, simulation=sim, answer=answer, table=pd.DataFrame(table), closed_form=closed)


# ---------------------------------------------------------------------------
# assurance
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AssuranceSizing:
    """Probability of success of the single-arm follow-up under the design prior.

    Attributes
    ----------
    prior : BetaMixturePrior
    table : pandas.DataFrame
        One row per single-stage size n: critical value r, frequentist power
        at p1, exact (beta-binomial) assurance, simulated assurance and SE.
    simon : dict
        ``design`` (r1/n1/r/n), ``exact`` and ``simulated`` (Estimate or
        None) assurance of the chosen Simon design.
    prior_summary : dict
        Prior mean and prior probabilities that p exceeds p0 and p1.
    randomized : pandas.DataFrame or None
        For a randomized response follow-up: per candidate N, the power at
        the design's rates, and the exact and simulated assurance when the
        experimental rate follows the prior (control rate fixed).
    """

    prior: BetaMixturePrior
    table: Any
    simon: dict[str, Any]
    prior_summary: dict[str, float]
    randomized: Any = None


def assurance_curve(
    spec: AssuranceSpec,
    single_arm: SingleArmSizing,
    *,
    seed: int = 1,
    randomized: RandomizedFollowup | None = None,
) -> AssuranceSizing:
    """Assurance against n (single-stage exact binomial designs) and of the chosen Simon design.

    Parameters
    ----------
    spec : AssuranceSpec
    single_arm : SingleArmSizing
        Supplies p0, p1, alpha and the Simon design.
    seed : int
    randomized : RandomizedFollowup or None
        With a response endpoint, also the assurance of the randomized trial
        at each candidate N (prior on the experimental rate).
    """
    import pandas as pd

    from simtrial.engine._rng import scenario_key

    pr = spec.prior
    prior = prior_from_trial(
        pr.responses,
        pr.evaluable,
        a0=pr.a0,
        b0=pr.b0,
        discount=pr.discount,
        skeptical_weight=pr.skeptical_weight,
        skeptical_a=pr.skeptical_a,
        skeptical_b=pr.skeptical_b,
    )
    sa = single_arm.spec
    ns = spec.n_grid.values()
    rs = [C.single_stage_critical(n, sa.p0, sa.alpha) for n in ns]
    exact = [assurance_single_stage(prior, n, r) for n, r in zip(ns, rs)]
    from scipy import stats

    table = {
        "n": ns,
        "r": rs,
        "power_p1": [float(stats.binom.sf(r, n, sa.p1)) for n, r in zip(ns, rs)],
        "assurance_exact": exact,
    }
    d = single_arm.design
    simon = {
        "design": {"r1": d.r1, "n1": d.n1, "r": d.r, "n": d.n},
        "exact": assurance_simon(prior, d.r1, d.n1, d.r, d.n),
        "simulated": None,
    }
    if spec.n_sim > 0:
        est = simulate_assurance_single_stage(
            prior, list(zip(ns, rs)), spec.n_sim, int(scenario_key(seed, _KEY_ASSURANCE))
        )
        table["assurance_sim"] = [e.value for e in est]
        table["se"] = [e.se for e in est]
        simon["simulated"] = simulate_assurance_simon(
            prior, d.r1, d.n1, d.r, d.n, spec.n_sim, int(scenario_key(seed, _KEY_ASSURANCE_SIMON))
        )
    rand_table = None
    if randomized is not None and randomized.endpoint == "response":
        rand_table = _randomized_assurance(prior, randomized, spec.n_sim, seed)
    summary = {
        "mean": prior.mean(),
        "p_above_p0": float(1.0 - prior.cdf(sa.p0)),
        "p_above_p1": float(1.0 - prior.cdf(sa.p1)),
    }
    return AssuranceSizing(
        prior=prior, table=pd.DataFrame(table), simon=simon, prior_summary=summary, randomized=rand_table
    )


def _randomized_assurance(prior: BetaMixturePrior, spec: RandomizedFollowup, n_sim: int, seed: int):
    import pandas as pd

    from simtrial.engine._rng import scenario_key

    rs = spec.response
    direction = 1.0 if rs.experimental > rs.control else -1.0
    sizes = np.array(spec.n_grid.values(), dtype=np.int64)
    n_c, n_e = C.allocation_counts(sizes, spec.allocation_ratio)
    arms = [(int(a), int(b)) for a, b in zip(n_c, n_e)]
    table: dict[str, list] = {
        "n": [int(n) for n in sizes],
        "n_control": [a for a, _ in arms],
        "n_experimental": [b for _, b in arms],
        "power_design": [C.two_proportion_power_exact(rs.control, rs.experimental, a, b, spec.alpha, spec.sided)
                         for a, b in arms],  # fmt: skip
        "assurance_exact": [
            assurance_two_proportions(prior, rs.control, a, b, spec.alpha, sided=spec.sided, direction=direction)
            for a, b in arms
        ],
    }
    if n_sim > 0:
        est = simulate_assurance_two_proportions(
            prior, rs.control, arms, spec.alpha, n_sim, int(scenario_key(seed, _KEY_ASSURANCE_RANDOMIZED)),
            sided=spec.sided, direction=direction,
        )  # fmt: skip
        table["assurance_sim"] = [e.value for e in est]
        table["se"] = [e.se for e in est]
    return pd.DataFrame(table)


# ---------------------------------------------------------------------------
# everything
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowupResult:
    """All answers about the follow-up trial.

    Attributes
    ----------
    followup : dict
        The resolved ``followup`` block.
    seed : int
    single_arm : SingleArmSizing or None
    randomized : RandomizedSizing or None
    assurance : AssuranceSizing or None
    elapsed_seconds : float
    """

    followup: dict[str, Any]
    seed: int
    single_arm: SingleArmSizing | None
    randomized: RandomizedSizing | None
    assurance: AssuranceSizing | None
    elapsed_seconds: float = field(default=0.0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible summary (what ``simtrial size --json`` prints)."""
        from simtrial import __version__

        out: dict[str, Any] = {"version": __version__, "seed": self.seed, "followup": self.followup}
        if self.single_arm is not None:
            sa = self.single_arm
            out["single_arm"] = {
                "designs": _records(sa.designs_frame()),
                "chosen": {"kind": sa.spec.kind, "r1": sa.design.r1, "n1": sa.design.n1,
                           "r": sa.design.r, "n": sa.design.n},  # fmt: skip
                "simulation": None if sa.simulation is None else _records(sa.simulation.to_frame()),
            }
        if self.randomized is not None:
            rz = self.randomized
            ans = rz.answer
            out["randomized"] = {
                "endpoint": rz.spec.endpoint,
                "target_power": rz.spec.target_power,
                "n_sim": rz.simulation.n_sim,
                "n_star": ans.n_star,
                "n_first": ans.n_first,
                "n_star_bootstrap_95": [ans.boot_low, ans.boot_high],
                "bootstrap_fraction_beyond_grid": ans.boot_beyond,
                "sizes_indistinct_from_target": [ans.indistinct_low, ans.indistinct_high],
                "statement": ans.statement(),
                "closed_form": rz.closed_form,
                "table": _records(rz.table),
            }
        if self.assurance is not None:
            asr = self.assurance
            sim = asr.simon["simulated"]
            out["assurance"] = {
                "prior": asr.prior.describe(),
                "prior_summary": asr.prior_summary,
                "simon": {
                    "design": asr.simon["design"],
                    "exact": asr.simon["exact"],
                    "simulated": None if sim is None else {"value": sim.value, "se": sim.se},
                },
                "table": _records(asr.table),
                "randomized": None if asr.randomized is None else _records(asr.randomized),
            }
        out["elapsed_seconds"] = self.elapsed_seconds
        return out


def _records(frame) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (np.floating, float)):
            v = float(v)
            return None if math.isnan(v) else v
        return v

    return [{k: clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def size_followup(
    config: TrialConfig,
    *,
    seed: int | None = None,
    threads: int | None = None,
    n_sim: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> FollowupResult:
    """Answer every question of the config's ``followup`` block.

    Parameters
    ----------
    config : simtrial.model.TrialConfig
        A config with a ``followup`` block.
    seed : int or None
        Overrides ``followup.seed`` (default ``simulation.seed``).
    threads : int or None
        Numba threads (default ``simulation.threads``); results do not depend on it.
    n_sim : int or None
        Overrides the replicate counts of the randomized simulation, the
        single-arm simulation and the simulated assurance.
    progress : callable or None
        Called with numbers of replicates finished.

    Returns
    -------
    FollowupResult

    Raises
    ------
    simtrial.errors.ConfigError
        When the config has no ``followup`` block.
    """
    from simtrial.errors import ConfigError

    fu = config.followup
    if fu is None:
        raise ConfigError("followup", "the config has no followup block; add one (see configs/len_dex_followup.yaml)")
    if n_sim is not None:
        if isinstance(n_sim, bool) or not isinstance(n_sim, int) or n_sim < 100:
            raise ConfigError("n_sim", f"must be an integer >= 100, got {n_sim!r}")
        raw = fu.model_dump(mode="json")
        for block in ("randomized", "single_arm", "assurance"):
            if raw.get(block) is not None:
                raw[block]["n_sim"] = n_sim
        fu = type(fu).model_validate(raw)
    t0 = time.perf_counter()
    use_seed = seed if seed is not None else (fu.seed if fu.seed is not None else config.simulation.seed)
    use_threads = threads if threads is not None else config.simulation.threads
    single = (
        size_single_arm(fu.single_arm, config=config, seed=use_seed, threads=use_threads, progress=progress)
        if fu.single_arm is not None
        else None
    )
    rand = (
        size_randomized(fu.randomized, seed=use_seed, threads=use_threads, progress=progress)
        if fu.randomized is not None
        else None
    )
    assur = (
        assurance_curve(fu.assurance, single, seed=use_seed, randomized=fu.randomized)
        if fu.assurance is not None and single is not None
        else None
    )
    return FollowupResult(
        followup=fu.model_dump(mode="json"),
        seed=int(use_seed),
        single_arm=single,
        randomized=rand,
        assurance=assur,
        elapsed_seconds=time.perf_counter() - t0,
    )

