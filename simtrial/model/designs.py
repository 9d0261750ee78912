"""The designs of a trial config, resolved to decision tables.

A design block gives Simon's ``r1, n1, r, n``, an explicit decision table,
or a family's targets (searched exactly by :mod:`simtrial.design`); either
way it becomes a :class:`~simtrial.design.DecisionTable`, with the accrual
pause and the toxicity rule (as a :class:`~simtrial.design.ToxicityMonitor`)
that the engine applies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simtrial.errors import ConfigError, DesignError

if TYPE_CHECKING:
    from simtrial.design import DecisionTable, SimonDesign, ToxicityMonitor
    from simtrial.model.trial import DesignConfig, TrialConfig

__all__ = ["ResolvedDesign", "resolve_designs", "design_from_dict"]

_CACHE: dict[str, Any] = {}


@dataclass(frozen=True)
class ResolvedDesign:
    """A design ready to simulate.

    Attributes
    ----------
    name : str
        The design's name (``designs[i].name``; for a single ``design:``
        block its name if given, else its family's kind or ``"design"``).
    table : DecisionTable
    pause : bool
        Accrual paused at each interim look until its analysis.
    monitor : ToxicityMonitor or None
        The toxicity rule's bounds by number of patients.
    family : str
        ``"simon"``, ``"table"`` or a family's name.
    kind : str or None
        The family's kind (``"optimal"`` ...), None for an explicit design.
    simon : SimonDesign or None
        The design as Simon's ``(r1, n1, r, n)`` when it is one.
    targets : dict
        ``p0``, ``p1``, ``alpha``, ``beta`` when the design was searched for them.
    block : DesignConfig
        The config block it came from.
    """

    name: str
    table: DecisionTable
    pause: bool
    monitor: ToxicityMonitor | None
    family: str
    kind: str | None
    simon: SimonDesign | None
    targets: dict[str, float] = field(default_factory=dict)
    curtail: str | None = None
    block: Any = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """``"Simon 1/10, 5/29"``, or the table in Simon's notation with its family."""
        if self.curtail is not None:
            return f"{self.table.label} (curtailed: {self.curtail})"
        if self.simon is not None:
            return f"Simon {self.simon}"
        fam = "" if self.family == "table" else f"{self.family} "
        return f"{fam}{self.table.compact()}"

    def p_reject(self, p: float) -> float:
        """Exact ``P(declare promising)`` at response rate ``p`` (binomial model)."""
        return float(self.table.oc(p).p_reject[0])

    def pet(self, p: float) -> float:
        """Exact probability of an early futility stop at ``p``."""
        return float(self.table.oc(p).pet[0])

    def en(self, p: float) -> float:
        """Exact expected number of evaluable patients at ``p``."""
        return float(self.table.oc(p).en[0])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, family, kind, the table's bounds, pause, and Simon's numbers when it is one."""
        out: dict[str, Any] = {"name": self.name, "family": self.family, "kind": self.kind, **self.table.to_dict(),
                               "pause_after_stage1": self.pause, "curtail": self.curtail, "label": self.label}
        if self.simon is not None:
            out.update(self.simon.to_dict())
        if self.monitor is not None:
            out["toxicity_monitor"] = {"looks": list(self.monitor.looks), "bounds": list(self.monitor.bounds),
                                       "label": self.monitor.label}
        out.update(self.targets)
        return out


def _where(config: TrialConfig, i: int) -> str:
    return "design" if config.designs is None else f"designs[{i}]"


def _monitor(block: DesignConfig, n_max: int) -> ToxicityMonitor | None:
    from simtrial.design.bayesian import posterior_toxicity_monitor

    rule = block.toxicity_stop
    if rule is None:
        return None
    return posterior_toxicity_monitor(rule.threshold, rule.posterior_bound, rule.every, rule.prior, n_max)


def _resolve(config: TrialConfig, i: int, block: DesignConfig) -> ResolvedDesign:
    from simtrial.design import DecisionTable, SimonDesign
    from simtrial.engine.pack import max_enrolled

    where = _where(config, i)
    simon = None
    kind = None
    targets: dict[str, float] = {}
    if block.explicit:
        simon = SimonDesign(block.r1, block.n1, block.r, block.n)
        table = simon.table()
        family = "simon"
    elif block.is_table:
        table = DecisionTable(looks=block.looks, futility=block.futility, efficacy=block.efficacy or (),
                              toxicity=block.toxicity)
        family = "table"
    else:
        from simtrial.design.families import find_designs

        family = block.family or "simon"
        opts = block.family_options()
        key = json.dumps([family, opts], sort_keys=True)
        try:
            res = _CACHE.get(key)
            if res is None:
                res = _CACHE[key] = find_designs(family, **opts)
            kinds = [d.kind for d in res.designs]
            # The optimal design when the family has one, else the family's first (calibrated, given ...).
            kind = block.kind or ("optimal" if "optimal" in kinds else kinds[0])
            found = res.design(kind)
        except DesignError as exc:
            field_ = "kind" if str(exc).startswith("kind") else "family" if str(exc).startswith("--family") else ""
            raise ConfigError(f"{where}.{field_}" if field_ else where, str(exc)) from None
        table = found.table
        targets = {k: opts[k] for k in ("p0", "p1", "alpha", "beta") if k in opts}
        if family == "simon":
            looks, fut = table.looks, table.futility
            simon = SimonDesign(fut[0], looks[0], fut[1], looks[1])
    curtailed = None
    if block.curtail is not None:
        from simtrial.design.curtail import curtail

        base = f"Simon {simon}" if simon is not None else ("" if family == "table" else f"{family} ") + table.compact()
        table = curtail(table, block.curtail)
        object.__setattr__(table, "label", base)
        simon = None
        curtailed = block.curtail
    name = block.name or (kind if config.designs is None and kind else "design")
    n_cap = max_enrolled(config, table.n_max)
    return ResolvedDesign(name=name, table=table, pause=block.pause_after_stage1, monitor=_monitor(block, n_cap),
                          family=family, kind=kind, simon=simon, targets=targets, curtail=curtailed, block=block)


def resolve_designs(config: TrialConfig) -> tuple[ResolvedDesign, ...]:
    """Resolve every design block of ``config`` (searches are exact and cached per family and targets).

    Raises
    ------
    ConfigError
        A family's search finds no design, or the kind asked for is not one of its designs.
    """
    return tuple(_resolve(config, i, b) for i, b in enumerate(config.design_blocks()))


def design_from_dict(data: dict[str, Any]) -> ResolvedDesign:
    """Rebuild a :class:`ResolvedDesign` from :meth:`ResolvedDesign.to_dict` (a saved run)."""
    from simtrial.design import DecisionTable, SimonDesign, ToxicityMonitor

    table = DecisionTable(looks=data["looks"], futility=data["futility"], efficacy=data["efficacy"],
                          toxicity=data.get("toxicity"))
    simon = SimonDesign(data["r1"], data["n1"], data["r"], data["n"]) if "r1" in data else None
    mon = data.get("toxicity_monitor")
    monitor = ToxicityMonitor(looks=mon["looks"], bounds=mon["bounds"], label=mon.get("label", "")) if mon else None
    targets = {k: data[k] for k in ("p0", "p1", "alpha", "beta") if k in data}
    if data.get("curtail"):
        base = str(data.get("label", "")).rsplit(" (curtailed", 1)[0]
        object.__setattr__(table, "label", base)
    return ResolvedDesign(name=data["name"], table=table, pause=bool(data["pause_after_stage1"]), monitor=monitor,
                          family=data["family"], kind=data.get("kind"), simon=simon, targets=targets,
                          curtail=data.get("curtail"))
