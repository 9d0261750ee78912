"""The ``followup:`` block of a config: sizing the next, larger trial.

Durations are given with a unit (``"6 months"``) and held as float days
(:mod:`simtrial.model.units`); rates are per month. Cross-field rules raise
``ValueError("<<field>> message")`` so the loader can name the dotted key.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from simtrial.model._base import StrictModel
from simtrial.model.units import DAYS_PER_MONTH, Duration

__all__ = [
    "DAYS_PER_MONTH",
    "FollowupConfig",
    "SingleArmFollowup",
    "RandomizedFollowup",
    "ResponseArms",
    "SurvivalArms",
    "AnalysisSpec",
    "NGrid",
    "PriorSpec",
    "AssuranceSpec",
]

Prob = Field(gt=0.0, lt=1.0)


class _Block(StrictModel):
    """A followup sub-block: like every config model, but YAML ``yes``/``true`` is no number."""

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(key)
                if isinstance(value, bool) and field is not None and field.annotation is not bool:
                    raise ValueError(f"<<{key}>> must be a number, got {value!r}")
        return data


class NGrid(_Block):
    """Candidate sample sizes ``min, min + step, ..., <= max`` (total patients)."""

    min: int = Field(ge=2)
    max: int = Field(ge=2, le=100_000)
    step: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _order(self) -> NGrid:
        if self.max < self.min:
            raise ValueError(f"<<max>> max ({self.max}) must be >= min ({self.min})")
        if (self.max - self.min) // self.step + 1 > 2000:
            raise ValueError("<<step>> at most 2000 candidate sizes are allowed; increase step")
        return self

    def values(self) -> list[int]:
        """The candidate sizes in increasing order."""
        return list(range(self.min, self.max + 1, self.step))


class SingleArmFollowup(_Block):
    """A single-arm follow-up: Simon two-stage and single-stage exact binomial designs.

    Attributes
    ----------
    p0, p1 : float
        Uninteresting and target response rates of the new population.
    alpha, beta : float
        Type I error at ``p0`` and type II error at ``p1``.
    kind : {"optimal", "minimax"}
        Which Simon design the patient-level simulation uses.
    nmax : int or None
        Upper limit of the Simon search (None: the design toolkit's default).
    accrual_per_month : float or None
        Accrual rate for the patient-level simulation of duration and
        toxicity burden (None: keep the rate of the trial config).
    simulate : bool
        Run the patient-level simulation of the chosen Simon design.
    p_tox : float or None
        Per-cycle grade >= 3 toxicity probability in the simulation (None:
        that of the config's first scenario).
    n_sim : int
        Replicates of the patient-level simulation (per scenario p0, p1).
    """

    p0: float = Prob
    p1: float = Prob
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    beta: float = Field(default=0.20, gt=0.0, lt=0.5)
    kind: Literal["optimal", "minimax"] = "optimal"
    nmax: int | None = Field(default=None, ge=2, le=500)
    accrual_per_month: float | None = Field(default=None, gt=0.0)
    simulate: bool = True
    p_tox: float | None = Field(default=None, ge=0.0, le=1.0)
    n_sim: int = Field(default=20_000, ge=100, le=100_000_000)

    @model_validator(mode="after")
    def _order(self) -> SingleArmFollowup:
        if not self.p1 > self.p0:
            raise ValueError(f"<<p1>> p1 ({self.p1}) must be greater than p0 ({self.p0})")
        return self


class ResponseArms(_Block):
    """True response probabilities of the two arms (binary endpoint)."""

    control: float = Prob
    experimental: float = Prob


class SurvivalArms(_Block):
    """Overall survival under proportional hazards.

    The control arm is Weibull with the given ``shape`` (1 = exponential) and
    median; the experimental arm's hazard is ``hazard_ratio`` times the
    control hazard at every time, so ``S_exp(t) = S_ctrl(t) ** hazard_ratio``.
    """

    distribution: Literal["exponential", "weibull"] = "exponential"
    control_median: Duration
    hazard_ratio: float = Field(gt=0.0)
    shape: float = Field(default=1.0, gt=0.0, le=20.0)

    @model_validator(mode="after")
    def _check(self) -> SurvivalArms:
        if not self.control_median > 0:
            raise ValueError("<<control_median>> must be a positive duration, e.g. '6 months'")
        if self.distribution == "exponential" and self.shape != 1.0:
            raise ValueError("<<shape>> applies to distribution 'weibull' only (exponential has shape 1)")
        if self.hazard_ratio == 1.0:
            raise ValueError("<<hazard_ratio>> must differ from 1 (there is nothing to detect)")
        return self

    @property
    def control_scale_days(self) -> float:
        """Weibull scale of the control arm: ``median / log(2) ** (1 / shape)``."""
        return self.control_median / math.log(2.0) ** (1.0 / self.shape)


class AnalysisSpec(_Block):
    """When the survival analysis happens: give exactly one of the three.

    Attributes
    ----------
    events : int or None
        At the calendar time of this many deaths (all candidate sizes).
    event_fraction : float or None
        At ``ceil(event_fraction * N)`` deaths for a trial of N patients.
    calendar : float or None
        At this calendar time (days; a duration with a unit in the config)
        after the first patient entered.
    """

    events: int | None = Field(default=None, ge=2)
    event_fraction: float | None = Field(default=None, gt=0.0, le=1.0)
    calendar: Duration | None = None

    @model_validator(mode="after")
    def _one(self) -> AnalysisSpec:
        given = [k for k in ("events", "event_fraction", "calendar") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of events, event_fraction, calendar; got {', '.join(given) or 'none'}"
            )
        if self.calendar is not None and not self.calendar > 0:
            raise ValueError("<<calendar>> must be a positive duration, e.g. '24 months'")
        return self

    @property
    def mode(self) -> Literal["events", "event_fraction", "calendar"]:
        """Which of the three rules applies."""
        if self.events is not None:
            return "events"
        if self.event_fraction is not None:
            return "event_fraction"
        return "calendar"


class RandomizedFollowup(_Block):
    """A randomized two-arm follow-up trial sized by simulation and closed forms.

    Attributes
    ----------
    endpoint : {"response", "survival"}
        Binary response (pooled two-proportion z test) or overall survival
        (log-rank test).
    allocation_ratio : float
        ``k = n_experimental / n_control``.
    alpha : float
        Significance level; one-sided unless ``sided = 2``.
    sided : {1, 2}
        One-sided test in favour of the experimental arm, or two-sided.
    target_power : float
        The power the sample size must reach.
    n_grid : NGrid
        Candidate total sample sizes (both arms together).
    n_sim : int
        Replicates per candidate size (the same replicates for every size).
    accrual_per_month : float
        Patients entering per month (both arms together).
    accrual : {"poisson", "uniform"}
        Poisson arrivals or one patient every ``1 / rate``.
    dropout_per_year : float
        Probability that a patient is lost to follow-up within a year
        (exponential dropout); survival endpoint only.
    response, survival : ResponseArms or SurvivalArms
        The truth for the chosen endpoint.
    analysis : AnalysisSpec or None
        When the survival analysis happens (required for ``survival``).
    """

    endpoint: Literal["response", "survival"]
    allocation_ratio: float = Field(default=1.0, gt=0.0, le=10.0)
    alpha: float = Field(default=0.025, gt=0.0, lt=0.5)
    sided: Literal[1, 2] = 1
    target_power: float = Field(default=0.8, gt=0.0, lt=1.0)
    n_grid: NGrid
    n_sim: int = Field(default=2000, ge=100, le=10_000_000)
    accrual_per_month: float = Field(default=4.0, gt=0.0)
    accrual: Literal["poisson", "uniform"] = "poisson"
    dropout_per_year: float = Field(default=0.0, ge=0.0, lt=1.0)
    response: ResponseArms | None = None
    survival: SurvivalArms | None = None
    analysis: AnalysisSpec | None = None

    @model_validator(mode="after")
    def _endpoint(self) -> RandomizedFollowup:
        if self.endpoint == "response":
            if self.response is None:
                raise ValueError("<<response>> endpoint 'response' needs a response block (control, experimental)")
            if self.survival is not None or self.analysis is not None:
                raise ValueError("endpoint 'response' takes no survival or analysis block")
            if self.response.experimental == self.response.control:
                raise ValueError("<<response.experimental>> response.experimental must differ from response.control")
        else:
            if self.survival is None or self.analysis is None:
                raise ValueError("<<survival>> endpoint 'survival' needs survival and analysis blocks")
            if self.response is not None:
                raise ValueError("endpoint 'survival' takes no response block")
            if self.analysis.events is not None and self.analysis.events > self.n_grid.max:
                raise ValueError(
                    f"<<analysis.events>> analysis.events ({self.analysis.events}) exceeds the largest candidate size "
                    f"n_grid.max ({self.n_grid.max})"
                )
        return self

    @property
    def accrual_rate_per_day(self) -> float:
        """Patients per day."""
        return self.accrual_per_month / DAYS_PER_MONTH

    @property
    def dropout_rate_per_day(self) -> float:
        """Exponential dropout hazard per day (0 when there is no dropout)."""
        return -math.log1p(-self.dropout_per_year) / 365.25


class PriorSpec(_Block):
    """Design prior on the response rate, from the trial in hand.

    The informative component is ``Beta(a0 + w x, b0 + w (n - x))`` (a power
    prior with weight ``w = discount`` on the observed ``x`` responses of
    ``n`` evaluable patients); with ``skeptical_weight`` > 0 it is mixed with
    a skeptical ``Beta(skeptical_a, skeptical_b)`` component.
    """

    responses: int = Field(default=2, ge=0)
    evaluable: int = Field(default=7, ge=0)
    a0: float = Field(default=1.0, gt=0.0)
    b0: float = Field(default=1.0, gt=0.0)
    discount: float = Field(default=1.0, ge=0.0, le=1.0)
    skeptical_weight: float = Field(default=0.0, ge=0.0, le=1.0)
    skeptical_a: float = Field(default=1.0, gt=0.0)
    skeptical_b: float = Field(default=9.0, gt=0.0)

    @model_validator(mode="after")
    def _check(self) -> PriorSpec:
        if self.responses > self.evaluable:
            raise ValueError(f"<<responses>> responses ({self.responses}) cannot exceed evaluable ({self.evaluable})")
        return self


class AssuranceSpec(_Block):
    """Probability of success of the single-arm follow-up under a design prior.

    Attributes
    ----------
    prior : PriorSpec
    n_grid : NGrid
        Sizes of the single-stage exact binomial design to evaluate.
    n_sim : int
        Replicates for the simulated assurance (0: analytic only).
    """

    prior: PriorSpec = PriorSpec()
    n_grid: NGrid = NGrid(min=10, max=80, step=5)
    n_sim: int = Field(default=20_000, ge=0, le=100_000_000)


class FollowupConfig(_Block):
    """Sizing of the follow-up trial (``followup:`` block).

    Attributes
    ----------
    seed : int or None
        Seed of the follow-up simulations (None: ``simulation.seed``).
    single_arm : SingleArmFollowup or None
    randomized : RandomizedFollowup or None
    assurance : AssuranceSpec or None
        Needs ``single_arm`` (its p0, alpha, and Simon design).
    """

    seed: int | None = Field(default=None, ge=0)
    single_arm: SingleArmFollowup | None = None
    randomized: RandomizedFollowup | None = None
    assurance: AssuranceSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> FollowupConfig:
        if self.single_arm is None and self.randomized is None:
            raise ValueError("give at least one of single_arm, randomized")
        if self.assurance is not None and self.single_arm is None:
            raise ValueError("<<assurance>> assurance needs a single_arm block (p0 and alpha of the follow-up)")
        return self
