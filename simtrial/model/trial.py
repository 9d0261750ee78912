"""The trial as typed data: every block of a simtrial YAML config.

All models are frozen and reject unknown keys. Cross-field rules raise
``ValueError("<<field>> message")``; the loader turns the ``<<field>>``
prefix into the dotted key path of the error (see :mod:`simtrial.model.load`).
Times are float days (given with units in the YAML, see
:mod:`simtrial.model.units`); rates are patients per month.
"""

from __future__ import annotations

import math

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from simtrial.model._base import StrictModel
from simtrial.model.followup import FollowupConfig
from simtrial.model.sweep import SweepConfig
from simtrial.model.units import Duration

__all__ = [
    "SCHEMA_VERSION",
    "RatePiece",
    "EnrollmentConfig",
    "DrugConfig",
    "TreatmentConfig",
    "ToxicityConfig",
    "ResponseConfig",
    "EvaluabilityConfig",
    "SurvivalConfig",
    "ToxicityStopRule",
    "DesignConfig",
    "ScenarioConfig",
    "SimulationConfig",
    "TrialConfig",
]

SCHEMA_VERSION = 1


def _prob(v: float) -> float:
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"must be a probability in [0, 1], got {v!r}")
    return v


def _open_prob(v: float) -> float:
    if not 0.0 < v < 1.0:
        raise ValueError(f"must be strictly between 0 and 1, got {v!r}")
    return v


def _nonneg(v: float) -> float:
    if not 0.0 <= v < math.inf:
        raise ValueError(f"must be a finite number >= 0, got {v!r}")
    return v


def _positive(v: float) -> float:
    if not 0.0 < v < math.inf:
        raise ValueError(f"must be a finite number > 0, got {v!r}")
    return v


def _no_bool(v: Any) -> Any:
    # YAML `yes`/`true` would otherwise pass as the number 1.
    if isinstance(v, bool):
        raise ValueError(f"must be a number, got {v!r}")
    return v


Probability = Annotated[float, BeforeValidator(_no_bool), AfterValidator(_prob)]
OpenProbability = Annotated[float, BeforeValidator(_no_bool), AfterValidator(_open_prob)]
NonNegFloat = Annotated[float, BeforeValidator(_no_bool), AfterValidator(_nonneg)]
PosFloat = Annotated[float, BeforeValidator(_no_bool), AfterValidator(_positive)]
PosInt = Annotated[int, BeforeValidator(_no_bool), Field(ge=1)]
NonNegInt = Annotated[int, BeforeValidator(_no_bool), Field(ge=0)]


class RatePiece(StrictModel):
    """One piece of a piecewise-constant Poisson accrual rate.

    Attributes
    ----------
    per_month : float
        Patients per month arriving at screening (>= 0).
    duration : float or None
        How long this rate lasts (days); None only for the last piece.
    """

    per_month: NonNegFloat
    duration: Duration | None = None


class EnrollmentConfig(StrictModel):
    """Poisson arrivals with piecewise-constant rates (a ramp-up then a plateau).

    Attributes
    ----------
    rates : list of RatePiece
        Consecutive pieces; all but the last have a ``duration``; the last
        is open-ended and must have a positive rate.
    max_duration : float or None
        Accrual stops this long after the trial opens (days); None = no cap.
    screen_fail : float
        Fraction of arrivals who fail screening and are never enrolled.
    """

    rates: list[RatePiece] = Field(min_length=1)
    max_duration: Duration | None = None
    screen_fail: Annotated[float, BeforeValidator(_no_bool), AfterValidator(_nonneg), Field(lt=1.0)] = 0.0

    @model_validator(mode="after")
    def _check(self) -> EnrollmentConfig:
        last = len(self.rates) - 1
        for i, piece in enumerate(self.rates):
            if i < last and piece.duration is None:
                raise ValueError(f"<<rates[{i}].duration>> every piece but the last needs a duration")
            if i == last and piece.duration is not None:
                raise ValueError(f"<<rates[{i}].duration>> the last piece is open-ended: remove its duration")
        if self.rates[last].per_month <= 0.0:
            raise ValueError(f"<<rates[{last}].per_month>> the last (open-ended) rate must be > 0")
        return self


def _beta_pair(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) != 2:
        raise ValueError(f"must be the two parameters [a, b] of a Beta prior, e.g. [1, 1], got {list(v)!r}")
    return v


def _parse_days(v: Any) -> Any:
    # "1-21" is how protocols write a block of days; lists are also accepted.
    if isinstance(v, str):
        out: list[int] = []
        for part in v.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                try:
                    lo, hi = int(a), int(b)
                except ValueError:
                    raise ValueError(f"must be days like '1-21' or '1, 8, 15, 22', got {v!r}") from None
                if lo > hi:
                    raise ValueError(f"a block of days runs from the first to the last, e.g. '1-21', got {part!r}")
                out.extend(range(lo, hi + 1))
            else:
                try:
                    out.append(int(part))
                except ValueError:
                    raise ValueError(f"must be days like '1-21' or '1, 8, 15, 22', got {v!r}") from None
        return out
    return v


class DrugConfig(StrictModel):
    """A drug of the regimen: its starting dose, days in the cycle and reduction ladder.

    Attributes
    ----------
    name : str
    dose : float
        Starting dose per administration day.
    unit : str
        Dose unit, for reports only.
    days : list of int
        Administration days within the cycle (1-based), e.g. ``"1-21"``.
    reductions : list of float
        Successive reduced doses, strictly decreasing and below ``dose``
        (e.g. 15, 10, 5 after 25 mg).
    """

    name: str = Field(min_length=1)
    dose: PosFloat
    unit: str = "mg"
    days: Annotated[list[int], BeforeValidator(_parse_days)] = Field(min_length=1)
    reductions: list[PosFloat] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> DrugConfig:
        if len(set(self.days)) != len(self.days) or any(d < 1 for d in self.days):
            raise ValueError("<<days>> days must be distinct integers >= 1")
        ladder = [self.dose, *self.reductions]
        if any(b >= a for a, b in zip(ladder, ladder[1:])):
            raise ValueError(f"<<reductions>> must be strictly decreasing and below dose {self.dose:g}, got {self.reductions}")
        return self


class TreatmentConfig(StrictModel):
    """Cycles of a multi-drug schedule.

    Attributes
    ----------
    cycle_length : float
        Days per cycle (a whole number of days).
    max_cycles : int
    drugs : list of DrugConfig
    """

    cycle_length: Duration
    max_cycles: PosInt
    drugs: list[DrugConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> TreatmentConfig:
        if self.cycle_length < 1 or self.cycle_length != round(self.cycle_length):
            raise ValueError(f"<<cycle_length>> must be a whole number of days >= 1, got {self.cycle_length!r} days")
        for i, d in enumerate(self.drugs):
            if max(d.days) > self.cycle_length:
                raise ValueError(f"<<drugs[{i}].days>> day {max(d.days)} is beyond the {self.cycle_length:g}-day cycle")
        names = [d.name for d in self.drugs]
        if len(set(names)) != len(names):
            raise ValueError("<<drugs>> drug names must be distinct")
        return self


class ToxicityConfig(StrictModel):
    """Grade >= 3 toxicity per cycle and what the protocol does about it.

    The per-cycle probability at full dose after cycle 1 is a scenario
    parameter (``p_tox``). In cycle 1 it is ``p_tox * cycle1_factor``; at a
    reduced dose level it is ``p_tox * (dose / starting dose) ** dose_exponent``
    for the drug named in ``drug`` (probabilities capped at 1).

    Attributes
    ----------
    drug : str or None
        The drug whose dose drives toxicity and whose relative dose intensity
        is reported; default the first drug.
    cycle1_factor : float
    dose_exponent : float
        0 = toxicity does not depend on dose; 1 = proportional to dose.
    on_event : {"reduce", "discontinue"}
        ``reduce``: hold, then resume one level lower on every drug with a
        further level; discontinue after an event at the last level.
        ``discontinue``: stop treatment at the first event.
    hold : float
        Days the next cycle is delayed after an event (``reduce`` only).
    max_events : int or None
        Discontinue at the k-th event even if a lower level exists.
    """

    drug: str | None = None
    cycle1_factor: NonNegFloat = 1.0
    dose_exponent: NonNegFloat = 1.0
    on_event: Literal["reduce", "discontinue"] = "reduce"
    hold: Duration = "0 days"  # type: ignore[assignment]
    max_events: PosInt | None = None


class ResponseConfig(StrictModel):
    """When response is assessed. The response probability is a scenario parameter.

    Attributes
    ----------
    assess_after_cycles : int
        Response is assessed at the end of this cycle; a patient who stops
        earlier (death, toxicity, withdrawal) is not evaluable.
    """

    assess_after_cycles: PosInt = 1


class EvaluabilityConfig(StrictModel):
    """Who counts in the Simon design, and replacement of the others.

    Attributes
    ----------
    withdrawal_per_cycle : float
        Probability of leaving the study at the end of each cycle for other
        reasons (consent withdrawn, lost to follow-up).
    replace_non_evaluable : bool
        Enrol a replacement for each non-evaluable patient, once known.
    max_enrolled : int or None
        Hard cap on patients enrolled (default: ``2 n`` with replacement,
        ``n`` without).
    """

    withdrawal_per_cycle: Probability = 0.0
    replace_non_evaluable: bool = False
    max_enrolled: PosInt | None = None


class SurvivalConfig(StrictModel):
    """Overall survival from enrolment; death ends treatment.

    Attributes
    ----------
    distribution : {"exponential", "weibull"}
    median : float
        Median OS (days) of non-responders (of everyone if ``hr_responders`` is 1).
    shape : float
        Weibull shape (1 = exponential).
    hr_responders : float
        Hazard ratio of responders vs non-responders.
    """

    distribution: Literal["exponential", "weibull"] = "exponential"
    median: Duration
    shape: PosFloat = 1.0
    hr_responders: PosFloat = 1.0

    @model_validator(mode="after")
    def _check(self) -> SurvivalConfig:
        if self.median <= 0:
            raise ValueError("<<median>> must be > 0")
        if self.distribution == "exponential" and self.shape != 1.0:
            raise ValueError("<<shape>> an exponential distribution has shape 1; use distribution: weibull")
        return self


class ToxicityStopRule(StrictModel):
    """Bayesian toxicity monitoring (Beta prior on the patient toxicity rate).

    After every ``every`` patients, once their first ``window_cycles``
    cycles are known, stop the trial if
    ``P(rate > threshold | data) > posterior_bound``.

    Attributes
    ----------
    threshold : float
    posterior_bound : float
    every : int
    prior : tuple of float
        Beta(a, b) prior parameters.
    window_cycles : int
        A patient counts as toxic if a grade >= 3 event occurs in these cycles.
    """

    threshold: OpenProbability
    posterior_bound: OpenProbability
    every: PosInt = 1
    prior: Annotated[tuple[PosFloat, PosFloat], BeforeValidator(_beta_pair)] = (1.0, 1.0)
    window_cycles: PosInt = 1


class DesignConfig(StrictModel):
    """The Simon two-stage design: explicit (r1, n1, r, n) or searched.

    Stop for futility after stage 1 if responses <= r1; declare the drug
    promising if total responses > r.

    Attributes
    ----------
    r1, n1, r, n : int or None
        Explicit design (all four together).
    p0, p1, alpha, beta : float or None
        Search inputs (all four together), used when no explicit design.
        ``alpha`` is one-sided: P(promising | p0) <= alpha.
    kind : {"optimal", "minimax"}
        Which searched design to use.
    nmax : int or None
        Upper bound on n for the search.

    An explicit design and any search input (``kind`` included, even at
    its default) cannot be given together: which one would rule?
    pause_after_stage1 : bool
        Suspend accrual until the stage-1 patients are assessed.
    toxicity_stop : ToxicityStopRule or None
    """

    r1: NonNegInt | None = None
    n1: PosInt | None = None
    r: NonNegInt | None = None
    n: PosInt | None = None
    p0: OpenProbability | None = None
    p1: OpenProbability | None = None
    alpha: OpenProbability | None = None
    beta: OpenProbability | None = None
    kind: Literal["optimal", "minimax"] = "optimal"
    nmax: PosInt | None = None
    pause_after_stage1: bool = True
    toxicity_stop: ToxicityStopRule | None = None

    @model_validator(mode="after")
    def _check(self) -> DesignConfig:
        explicit = [self.r1, self.n1, self.r, self.n]
        search = [self.p0, self.p1, self.alpha, self.beta]
        given = [k for k in _SEARCH_KEYS if k in self.model_fields_set and (k == "kind" or getattr(self, k) is not None)]
        if any(v is not None for v in explicit) and given:
            raise ValueError(
                f"<<{given[0]}>> give either an explicit design (r1, n1, r, n) or search parameters "
                f"({', '.join(_SEARCH_KEYS)}), not both"
            )
        if any(v is not None for v in explicit):
            for k, v in zip(("r1", "n1", "r", "n"), explicit):
                if v is None:
                    raise ValueError(f"<<{k}>> an explicit design needs all of r1, n1, r, n")
            r1, n1, r, n = explicit
            if r1 >= n1:
                raise ValueError(f"<<r1>> must be smaller than n1 ({n1}), got {r1}")
            if n1 >= n:
                raise ValueError(f"<<n1>> must be smaller than n ({n}), got {n1}")
            if r >= n:
                raise ValueError(f"<<r>> must be smaller than n ({n}), got {r}")
            if r < r1:
                raise ValueError(f"<<r>> must be >= r1 ({r1}), got {r}")
        elif all(v is not None for v in search):
            if self.p1 <= self.p0:  # type: ignore[operator]
                raise ValueError(f"<<p1>> must be greater than p0 ({self.p0}), got {self.p1}")
        else:
            for k, v in zip(("p0", "p1", "alpha", "beta"), search):
                if v is None:
                    raise ValueError(f"<<{k}>> give either r1, n1, r, n or all of p0, p1, alpha, beta")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # An explicit design is dumped without the search keys (``kind`` has a
        # default), so that a dumped config loads again.
        data = handler(self)
        if self.explicit:
            for key in _SEARCH_KEYS:
                data.pop(key, None)
        return data

    @property
    def explicit(self) -> bool:
        """True when r1, n1, r, n are given."""
        return self.n is not None


_SEARCH_KEYS = ("p0", "p1", "alpha", "beta", "kind", "nmax")


class ScenarioConfig(StrictModel):
    """One assumed truth to simulate under.

    Attributes
    ----------
    name : str
    p_response : float
        True response probability of an evaluable patient.
    p_tox : float
        Per-cycle probability of a grade >= 3 toxicity at full dose (after cycle 1).
    os_median : float or None
        Overrides ``survival.median`` (days) in this scenario.
    description : str
    """

    name: str = Field(min_length=1)
    p_response: Probability
    p_tox: Probability = 0.0
    os_median: Duration | None = None
    description: str = ""


class SimulationConfig(StrictModel):
    """Monte Carlo settings (overridable on the command line).

    Attributes
    ----------
    n_sim : int
        Replicates per scenario.
    seed : int
        Non-negative seed; the same seed gives bit-identical results.
    threads : int or None
        Numba threads (None = all cores).
    """

    n_sim: PosInt = 100_000
    seed: NonNegInt = 1
    threads: PosInt | None = None


class TrialConfig(StrictModel):
    """A complete trial: design, patient model and scenarios.

    See ``configs/len_dex.yaml`` for an annotated example. Time is in days
    inside (durations are written with units in YAML).
    """

    schema_version: Literal[1]
    name: str = Field(min_length=1)
    description: str = ""
    enrollment: EnrollmentConfig
    treatment: TreatmentConfig
    toxicity: ToxicityConfig = ToxicityConfig()
    response: ResponseConfig = ResponseConfig()
    evaluability: EvaluabilityConfig = EvaluabilityConfig()
    survival: SurvivalConfig | None = None
    design: DesignConfig
    scenarios: list[ScenarioConfig] = Field(min_length=1)
    simulation: SimulationConfig = SimulationConfig()
    followup: FollowupConfig | None = None
    sweep: SweepConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> TrialConfig:
        names = [s.name for s in self.scenarios]
        for i, nm in enumerate(names):
            if nm in names[:i]:
                raise ValueError(f"<<scenarios[{i}].name>> duplicate scenario name {nm!r}")
        if self.response.assess_after_cycles > self.treatment.max_cycles:
            raise ValueError(
                f"<<response.assess_after_cycles>> must be <= treatment.max_cycles ({self.treatment.max_cycles})"
            )
        drugs = [d.name for d in self.treatment.drugs]
        if self.toxicity.drug is not None and self.toxicity.drug not in drugs:
            raise ValueError(f"<<toxicity.drug>> must be one of {drugs}, got {self.toxicity.drug!r}")
        rule = self.design.toxicity_stop
        if rule is not None and rule.window_cycles > self.treatment.max_cycles:
            raise ValueError("<<design.toxicity_stop.window_cycles>> must be <= treatment.max_cycles")
        if self.design.explicit and self.evaluability.max_enrolled is not None:
            if self.evaluability.max_enrolled < self.design.n:  # type: ignore[operator]
                raise ValueError(f"<<evaluability.max_enrolled>> must be >= n ({self.design.n})")
        return self

    def resolved_design(self):
        """The Simon design to simulate: explicit, or found by ``simon_search``.

        Returns
        -------
        simtrial.design.SimonDesign
        """
        from simtrial.design import SimonDesign, simon_search

        d = self.design
        if d.explicit:
            return SimonDesign(d.r1, d.n1, d.r, d.n)
        kwargs = {} if d.nmax is None else {"nmax": d.nmax}
        found = simon_search(d.p0, d.p1, d.alpha, d.beta, **kwargs)
        pick = found.optimal if d.kind == "optimal" else found.minimax
        return pick.design

    def tox_drug_index(self) -> int:
        """Index of the drug driving toxicity and dose intensity."""
        if self.toxicity.drug is None:
            return 0
        return [d.name for d in self.treatment.drugs].index(self.toxicity.drug)

    def reduces_to_binomial(self) -> bool:
        """True when no scenario-independent feature makes patients non-evaluable.

        That is: no survival model (no deaths), no withdrawal, no toxicity
        stopping rule and no accrual cap. A scenario with ``p_tox == 0`` is
        then exactly the binomial Simon design (see :meth:`scenario_is_binomial`).
        """
        return (
            self.survival is None
            and self.evaluability.withdrawal_per_cycle == 0.0
            and self.design.toxicity_stop is None
            and self.enrollment.max_duration is None
        )

    def scenario_is_binomial(self, index: int) -> bool:
        """True when scenario ``index`` reduces to the binomial design (exact values exist)."""
        s = self.scenarios[index]
        return self.reduces_to_binomial() and s.p_tox == 0.0
