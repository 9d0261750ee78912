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

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

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


_SIMON_KEYS = ("r1", "n1", "r", "n")
_TABLE_KEYS = ("looks", "futility", "efficacy", "toxicity")
_SEARCH_KEYS = ("p0", "p1", "alpha", "beta")
#: Options passed to a design family (:func:`simtrial.design.families.find_designs`), as ``simtrial design`` names them.
FAMILY_OPTION_KEYS = ("p0", "p1", "alpha", "beta", "nmax", "min_n", "max_n", "min_n1", "max_n1", "looks", "lambda_",
                      "gamma", "prior", "efficacy_form", "eta", "lambda_t", "gamma_t", "every", "theta_t", "theta_l",
                      "theta_u", "prior_s", "q0", "q1", "alpha_tox", "odds_ratio", "tox_bound")


class DesignConfig(StrictModel):
    """One design: a Simon design, an explicit decision table, or a design of a family.

    Give one of: ``r1, n1, r, n`` (Simon's design); ``looks`` and
    ``futility`` (with optional ``efficacy`` and ``toxicity`` bounds: any
    decision table); or ``p0, p1, alpha, beta`` with an optional ``family``
    (default ``simon``) and ``kind`` (default ``optimal``), the design
    that family's search finds (``simtrial design --family ...``).

    Attributes
    ----------
    name : str or None
        The design's name in results (required in a ``designs:`` list).
    family : str or None
        ``simon``, ``mander-thompson``, ``chen``, ``bop2`` ... (see ``simtrial design --help``).
    r1, n1, r, n : int or None
        Simon's design: stop after ``n1`` evaluable patients with ``<= r1``
        responses; promising with ``> r`` responses among ``n``.
    looks, futility, efficacy, toxicity : list of int or None
        A decision table (see :class:`simtrial.design.DecisionTable`).
    p0, p1, alpha, beta, nmax, lambda, gamma, prior, theta_t, theta_l, theta_u, q0, q1, odds_ratio
        The family's targets and options.
    kind : str or None
        Which of the family's designs (``optimal``, ``minimax`` ...).
    curtail : {"futility", "both"} or None
        Curtail the design: a look after every evaluable patient, stopping as
        soon as "not promising" (or either decision) is determined.
    pause_after_stage1 : bool
        Suspend accrual at each interim look until its patients are assessed.
    toxicity_stop : ToxicityStopRule or None
    """

    name: str | None = Field(default=None, min_length=1)
    family: str | None = None
    r1: NonNegInt | None = None
    n1: PosInt | None = None
    r: NonNegInt | None = None
    n: PosInt | None = None
    looks: list[PosInt] | None = None
    futility: list[int] | None = None
    efficacy: list[PosInt | None] | None = None
    toxicity: list[NonNegInt | None] | None = None
    p0: OpenProbability | None = None
    p1: OpenProbability | None = None
    alpha: OpenProbability | None = None
    beta: OpenProbability | None = None
    kind: str | None = None
    nmax: PosInt | None = None
    min_n: PosInt | None = None
    max_n: PosInt | None = None
    min_n1: PosInt | None = None
    max_n1: PosInt | None = None
    lambda_: PosFloat | None = Field(default=None, alias="lambda")
    gamma: NonNegFloat | None = None
    prior: list[PosFloat] | None = Field(default=None, min_length=2, max_length=4)
    efficacy_form: Literal["none", "power", "obf"] | None = None
    eta: PosFloat | None = None
    lambda_t: PosFloat | None = None
    gamma_t: NonNegFloat | None = None
    every: PosInt | None = None
    theta_t: OpenProbability | None = None
    theta_l: OpenProbability | None = None
    theta_u: OpenProbability | None = None
    prior_s: list[PosFloat] | None = Field(default=None, min_length=2, max_length=2)
    q0: OpenProbability | None = None
    q1: OpenProbability | None = None
    alpha_tox: OpenProbability | None = None
    odds_ratio: PosFloat | None = None
    tox_bound: OpenProbability | None = None
    curtail: Literal["futility", "both"] | None = None
    pause_after_stage1: bool = True
    toxicity_stop: ToxicityStopRule | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check(self) -> DesignConfig:
        given = {k for k in type(self).model_fields if getattr(self, k) is not None}
        simon = [k for k in _SIMON_KEYS if k in given]
        # A family's search may take looks too; a table without a family is the looks and its bounds.
        is_family = self.family not in (None, "table", "simon")
        table = [k for k in _TABLE_KEYS if k in given and not (is_family and k == "looks")]
        search = [k for k in FAMILY_OPTION_KEYS if k in given and not (k == "looks" and not is_family)]
        search += ["kind"] if "kind" in given else []
        if simon:
            others = table + search + (["family"] if self.family not in (None, "simon") else [])
            if others:
                raise ValueError(f"<<{others[0].rstrip('_')}>> give either an explicit design (r1, n1, r, n) or "
                                 f"search parameters (p0, p1, alpha, beta, kind, nmax), not both")
            for k in _SIMON_KEYS:
                if k not in given:
                    raise ValueError(f"<<{k}>> an explicit design needs all of r1, n1, r, n")
            r1, n1, r, n = self.r1, self.n1, self.r, self.n
            if r1 >= n1:  # type: ignore[operator]
                raise ValueError(f"<<r1>> must be smaller than n1 ({n1}), got {r1}")
            if n1 >= n:  # type: ignore[operator]
                raise ValueError(f"<<n1>> must be smaller than n ({n}), got {n1}")
            if r >= n:  # type: ignore[operator]
                raise ValueError(f"<<r>> must be smaller than n ({n}), got {r}")
            if r < r1:  # type: ignore[operator]
                raise ValueError(f"<<r>> must be >= r1 ({r1}), got {r}")
        elif table:
            if search or is_family:
                bad = search[0].rstrip("_") if search else "family"
                raise ValueError(f"<<{bad}>> give either a decision table (looks, futility, ...) or a family's "
                                 f"search parameters, not both")
            for k in ("looks", "futility"):
                if k not in given:
                    raise ValueError(f"<<{k}>> a decision table needs looks and futility")
            from simtrial.design.tables import DecisionTable
            from simtrial.errors import DesignError

            try:
                DecisionTable(looks=self.looks, futility=self.futility, efficacy=self.efficacy or (),
                              toxicity=self.toxicity)
            except DesignError as exc:
                field = str(exc).split(" ", 1)[0].split("[", 1)[0]
                raise ValueError(f"<<{field if field in _TABLE_KEYS else 'looks'}>> {exc}") from None
        else:
            family = self.family or "simon"
            if family == "simon":
                for k in _SEARCH_KEYS:
                    if k not in given:
                        raise ValueError(f"<<{k}>> give either r1, n1, r, n, a decision table (looks, futility), "
                                         f"or all of p0, p1, alpha, beta")
                if self.kind is not None and self.kind not in ("optimal", "minimax"):
                    raise ValueError(f"<<kind>> must be 'optimal' or 'minimax' for a Simon design, got {self.kind!r}")
            for k in ("p0", "p1"):
                if k not in given:
                    raise ValueError(f"<<{k}>> the {family} family needs p0 and p1")
            if self.p1 <= self.p0:  # type: ignore[operator]
                raise ValueError(f"<<p1>> must be greater than p0 ({self.p0}), got {self.p1}")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Only what was given: a design block has many optional keys, and a dump
        # that repeats them all as null is hard to read (it loads again either way).
        return {k: v for k, v in handler(self).items() if v is not None}

    @property
    def explicit(self) -> bool:
        """True when r1, n1, r, n are given."""
        return self.n is not None

    @property
    def is_table(self) -> bool:
        """True when the design is an explicit decision table (looks with their futility bounds)."""
        return self.futility is not None

    def family_options(self) -> dict[str, Any]:
        """The options given for the family's search, as ``simtrial design`` names them."""
        out = {k: getattr(self, k) for k in FAMILY_OPTION_KEYS if getattr(self, k) is not None}
        if "prior" in out:
            out["prior"] = list(out["prior"])
        return out


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
    design: DesignConfig | None = None
    designs: list[DesignConfig] | None = Field(default=None, min_length=1)
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
        if (self.design is None) == (self.designs is None):
            raise ValueError("<<design>> give either design: (one design) or designs: (a list of named designs)")
        blocks = self.design_blocks()
        if self.designs is not None:
            seen: list[str] = []
            for i, d in enumerate(self.designs):
                if d.name is None:
                    raise ValueError(f"<<designs[{i}].name>> every design of a designs: list needs a name")
                if d.name in seen:
                    raise ValueError(f"<<designs[{i}].name>> duplicate design name {d.name!r}")
                seen.append(d.name)
        windows = set()
        for i, d in enumerate(blocks):
            where = "design" if self.designs is None else f"designs[{i}]"
            rule = d.toxicity_stop
            if rule is not None:
                windows.add(rule.window_cycles)
                if rule.window_cycles > self.treatment.max_cycles:
                    raise ValueError(f"<<{where}.toxicity_stop.window_cycles>> must be <= treatment.max_cycles")
            n_max = d.n if d.explicit else (d.looks[-1] if d.is_table and d.looks else None)
            if n_max is not None and self.evaluability.max_enrolled is not None:
                if self.evaluability.max_enrolled < n_max:
                    raise ValueError(f"<<evaluability.max_enrolled>> must be >= the design's maximum n ({n_max})")
        if len(windows) > 1:
            raise ValueError("<<designs>> designs simulated on one cohort share the toxicity monitoring window: "
                             f"give every toxicity_stop the same window_cycles, got {sorted(windows)}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as JSON-ready data, keys as a config file spells them (it loads again)."""
        return self.model_dump(mode="json", by_alias=True)

    def design_blocks(self) -> list[DesignConfig]:
        """The design blocks: ``[design]`` or the ``designs:`` list."""
        return [self.design] if self.design is not None else list(self.designs or [])

    def resolved_designs(self):
        """Every design as a decision table with its accrual pause and toxicity rule.

        Returns
        -------
        tuple of simtrial.model.designs.ResolvedDesign
        """
        from simtrial.model.designs import resolve_designs

        return resolve_designs(self)

    def monitoring_window(self) -> int:
        """Cycles in the toxicity rule's monitoring window (shared by the designs; 1 without a rule)."""
        for d in self.design_blocks():
            if d.toxicity_stop is not None:
                return d.toxicity_stop.window_cycles
        return 1

    def tox_drug_index(self) -> int:
        """Index of the drug driving toxicity and dose intensity."""
        if self.toxicity.drug is None:
            return 0
        return [d.name for d in self.treatment.drugs].index(self.toxicity.drug)

    def reduces_to_binomial(self) -> bool:
        """True when nothing but the scenario's toxicity makes a patient non-evaluable or ends a trial early.

        That is: no survival model (no deaths), no withdrawal, no toxicity
        stopping rule in any design and no accrual cap. A scenario is then
        exactly the binomial design when toxicity cannot end treatment before
        the response assessment (see :meth:`scenario_is_binomial`).
        """
        return (
            self.survival is None
            and self.evaluability.withdrawal_per_cycle == 0.0
            and all(d.toxicity_stop is None for d in self.design_blocks())
            and self.enrollment.max_duration is None
        )

    def scenario_is_binomial(self, index: int) -> bool:
        """True when scenario ``index`` reduces to the binomial design (exact values exist).

        Every patient is then evaluable: no deaths or withdrawal, and a
        toxicity, counted at the end of its cycle, cannot end treatment before
        an assessment after cycle 1 (or there is none).
        """
        s = self.scenarios[index]
        return self.reduces_to_binomial() and (s.p_tox == 0.0 or self.response.assess_after_cycles == 1)
