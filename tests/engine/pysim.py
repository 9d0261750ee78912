"""An independent, slow, pure-Python simulator of the simtrial trial model.

Double programming: it reads the validated config (not the engine's packed
arrays), reimplements the random streams with Python integers masked to 64
bits, and reimplements the trial logic as an explicit event list. It must
reproduce the engine's per-replicate records exactly. Draw order per
patient follows the engine's documented contract: arrival, response with
the first toxicity at the starting dose, survival (if any), withdrawal (if
0 < rate < 1), then one draw per reduced level reached whose toxicity is
uncertain.

The variates follow the engine's documented definitions, one uniform u each:
an event of probability q happens when ``u < q``; the cycle of a first event
is the least k in the course with ``u < F(k)``, F its distribution function
over cycles; response (probability p) and first toxicity come from one u,
the response being ``u < p`` and the toxicity cycle the least k with ``u <
p F(k)`` for a responder, ``u < p + (1 - p) F(k)`` for a non-responder; an
exponential is the ziggurat of Marsaglia and Tsang (2000)
with the engine's layer tables (data, checked on their own in
tests/engine/test_ziggurat.py), written out here from the paper's algorithm with
Python integers and floats. Treatment is walked cycle by
cycle (the engine jumps level by level); cycle k at a dose level that
started at time b ends at ``b + k * cycle_length``, and doses are totalled
from whole administration days per level.
"""

from __future__ import annotations

import math

import numpy as np

from simtrial.engine import _rng

MASK = (1 << 64) - 1
DAYS_PER_MONTH = 365.25 / 12.0
NEVER = 1 << 40
_ZIG_R = float(_rng.ZIG_R)
_KE = [int(k) for k in _rng.ZIG_KE]
_WE = [float(w) for w in _rng.ZIG_WE]
_FE = [float(f) for f in _rng.ZIG_FE]


def _splitmix(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK


class Stream:
    """xoroshiro128+ seeded from (key, replicate) by splitmix64; counts its draws."""

    def __init__(self, key: int, replicate: int) -> None:
        base = _splitmix((int(key) ^ _splitmix(replicate)) & MASK)
        self.s0 = _splitmix(base)
        self.s1 = _splitmix((base + 0x9E3779B97F4A7C15) & MASK)
        self.draws = 0

    def raw(self) -> int:
        s0, s1 = self.s0, self.s1
        out = (s0 + s1) & MASK
        s1 ^= s0
        self.s0 = _rotl(s0, 24) ^ s1 ^ ((s1 << 16) & MASK)
        self.s1 = _rotl(s1, 37)
        self.draws += 1
        return out

    def uniform(self) -> float:
        return float(self.raw() >> 11) * (1.0 / 9007199254740992.0)

    def exponential(self) -> float:
        """Standard exponential by the ziggurat: layer from the top 10 bits, uniform from bits 1-53."""
        while True:
            x = self.raw()
            layer = x >> 54
            u = (x >> 1) & ((1 << 53) - 1)
            z = float(u) * _WE[layer]
            if u < _KE[layer]:
                return z
            if layer == 0:
                # the tail beyond the base strip: R plus an exponential
                return _ZIG_R - math.log(1.0 - self.uniform())
            if _FE[layer] + (_FE[layer - 1] - _FE[layer]) * self.uniform() < math.exp(-z):
                return z


def within(k: int, p_first: float, p_later: float) -> float:
    """F(k) = P(first event within k cycles) = 1 - (1 - p_first) (1 - p_later)^(k - 1).

    P(event in cycle 1) = p_first, in each later cycle p_later.
    """
    return 1.0 - (1.0 - p_first) * (1.0 - p_later) ** (k - 1)


def first_cycle(u: float, p_first: float, p_later: float, max_cycles: int) -> int:
    """Cycle (1..max_cycles) of a first event, or NEVER, by inversion of its distribution F (:func:`within`)."""
    for k in range(1, max_cycles + 1):
        if u < within(k, p_first, p_later):
            return k
    return NEVER


def response_and_first_cycle(u: float, p: float, p_first: float, p_later: float, max_cycles: int):
    """(responder, first-toxicity cycle or NEVER) from one uniform, by inversion of the joint law.

    Responders come first: u < p. The toxicity cycle is then the least k
    with u < p F(k) (responder) or u < p + (1 - p) F(k) (non-responder).
    """
    responder = u < p
    for k in range(1, max_cycles + 1):
        f = within(k, p_first, p_later)
        if u < (p * f if responder else p + (1.0 - p) * f):
            return responder, k
    return responder, NEVER


class PySim:
    """One scenario of a config, simulated replicate by replicate."""

    def __init__(self, config, design, index: int) -> None:
        self.cfg = config
        self.d = design
        self.sc = config.scenarios[index]
        enr = config.enrollment
        self.pieces = []
        t = 0.0
        for piece in enr.rates:
            end = t + piece.duration if piece.duration is not None else math.inf
            self.pieces.append((t, end, piece.per_month * (1.0 - enr.screen_fail) / DAYS_PER_MONTH))
            t = end
        self.cap = enr.max_duration if enr.max_duration is not None else math.inf
        drug = config.treatment.drugs[config.tox_drug_index()]
        self.doses = [drug.dose, *drug.reductions]
        self.days = set(drug.days)
        self.clen = config.treatment.cycle_length
        tox = config.toxicity
        self.p_level = [min(1.0, self.sc.p_tox * (d / self.doses[0]) ** tox.dose_exponent) for d in self.doses]
        self.p_c1 = min(1.0, self.sc.p_tox * tox.cycle1_factor)
        surv = config.survival
        if surv is not None:
            med = self.sc.os_median if self.sc.os_median is not None else surv.median
            self.scale = med / math.log(2.0) ** (1.0 / surv.shape)
            self.scale_resp = self.scale * surv.hr_responders ** (-1.0 / surv.shape)
            self.inv_shape = 1.0 / surv.shape
        ev = config.evaluability
        if ev.max_enrolled is not None:
            self.max_enrolled = max(ev.max_enrolled, design.n)
        else:
            self.max_enrolled = 2 * design.n if ev.replace_non_evaluable else design.n
        self.rule = config.design.toxicity_stop
        self.stop_at = {}
        if self.rule is not None:
            from scipy.stats import beta

            a, b = self.rule.prior
            for m in range(self.rule.every, self.max_enrolled + 1, self.rule.every):
                for x in range(m + 1):
                    if beta.sf(self.rule.threshold, a + x, b + m - x) > self.rule.posterior_bound:
                        self.stop_at[m] = x
                        break

    # -- arrivals -------------------------------------------------------------
    def arrival_after(self, rng: Stream, t: float) -> float:
        need = rng.exponential()
        for start, end, rate in self.pieces:
            if end <= t:
                continue
            if rate > 0.0:
                if t + need * (1.0 / rate) < end:
                    return t + need * (1.0 / rate)
                need -= (end - t) * rate
            t = end
        raise AssertionError("unreachable: the last rate piece is open-ended")

    # -- one patient ----------------------------------------------------------
    def patient(self, rng: Stream, enrol: float) -> dict:
        cfg = self.cfg
        max_c = cfg.treatment.max_cycles
        # first-toxicity cycle at the starting dose: P(cycle 1) = p_c1, then p_level[0] per cycle
        responder, first = response_and_first_cycle(rng.uniform(), self.sc.p_response, self.p_c1,
                                                    self.p_level[0], max_c)
        death = math.inf
        if cfg.survival is not None:
            death = enrol + (self.scale_resp if responder else self.scale) * rng.exponential() ** self.inv_shape
        pw = cfg.evaluability.withdrawal_per_cycle
        leave = NEVER if pw == 0.0 else (1 if pw >= 1.0 else first_cycle(rng.uniform(), pw, pw, max_c))
        tox = cfg.toxicity
        n_adm = sum(1 for d in range(1, int(self.clen) + 1) if d in self.days)
        window = self.rule.window_cycles if self.rule is not None else 1
        assess_cycle = cfg.response.assess_after_cycles
        lvl, at_lvl, cyc, begin = 0, 0, 0, enrol
        events = 0
        given = 0.0
        days_here = total_days = 0
        held = 0.0
        assessed = None
        wtox, wtime = 0, None
        died = False
        while True:
            cyc += 1
            at_lvl += 1
            finish = begin + at_lvl * self.clen
            if death < finish:
                cycle_start = begin + (at_lvl - 1) * self.clen
                days_begun = min(math.ceil(death - cycle_start), int(self.clen))
                days_here += sum(1 for d in range(1, days_begun + 1) if d in self.days)
                off, died = death, True
                break
            days_here += n_adm
            had = at_lvl == first
            stop = False
            if had:
                events += 1
                if cyc <= window and not wtox:
                    wtox, wtime = 1, finish
                last_level = lvl == len(self.doses) - 1
                too_many = tox.max_events is not None and events >= tox.max_events
                if tox.on_event == "discontinue" or too_many or last_level:
                    stop = True
            if cyc == assess_cycle and cyc != leave:
                assessed = finish
            if cyc == window and wtime is None:
                wtime = finish
            if cyc in (leave, max_c):
                stop = True
            if stop:
                off = finish
                break
            if had:
                given += self.doses[lvl] * days_here
                total_days += days_here
                days_here = 0
                lvl += 1
                at_lvl = 0
                resume = finish + tox.hold
                if death < resume:
                    held += death - finish
                    off, died = death, True
                    break
                held += tox.hold
                begin = resume
                p = self.p_level[lvl]
                first = (first_cycle(rng.uniform(), p, p, max_c) if 0.0 < p < 1.0
                         else (1 if p >= 1.0 else NEVER))
        given += self.doses[lvl] * days_here
        total_days += days_here
        # Planned dose: full dose on every administration day given, and at
        # the full daily rate through holds.
        planned = self.doses[0] * total_days + (self.doses[0] * n_adm / self.clen) * held
        ok = assessed is not None
        return {
            "evaluable": ok,
            "response": ok and responder,
            "known": assessed if ok else off,
            "tox": events > 0,
            "wtox": wtox,
            "wtime": wtime if wtime is not None else off,
            "rdi": given / planned if planned > 0.0 else 1.0,
            "dose": given,
            "died": died,
        }

    # -- one trial ------------------------------------------------------------
    def replicate(self, key: int, rep: int) -> dict:
        rng = Stream(key, rep)
        T = {"n": 0, "tox_time": math.inf, "eval": 0, "toxpat": 0, "deaths": 0, "rdi": 0.0, "dose": 0.0,
             "wtox": 0, "wlatest": 0.0}
        d = self.d

        def stage(open_at: float, target: int, halt: float, clock: float):
            slots = [open_at] * target
            analysis, x, incomplete = open_at, 0, False
            while slots:
                slots.sort()
                s = slots.pop(0)
                clock = max(clock, s)
                if T["n"] >= self.max_enrolled:
                    incomplete = True
                    break
                a = self.arrival_after(rng, clock)
                if a > self.cap:
                    incomplete = True
                    break
                if a > T["tox_time"] or a > halt:
                    break
                clock = a
                pt = self.patient(rng, a)
                T["n"] += 1
                T["eval"] += pt["evaluable"]
                T["toxpat"] += pt["tox"]
                T["deaths"] += pt["died"]
                T["rdi"] += pt["rdi"]
                T["dose"] += pt["dose"]
                analysis = max(analysis, pt["known"])
                if pt["evaluable"]:
                    x += pt["response"]
                elif self.cfg.evaluability.replace_non_evaluable:
                    slots.append(pt["known"])
                if self.rule is not None:
                    T["wtox"] += pt["wtox"]
                    T["wlatest"] = max(T["wlatest"], pt["wtime"])
                    m = T["n"]
                    if m in self.stop_at and T["wtox"] >= self.stop_at[m] and T["wlatest"] < T["tox_time"]:
                        T["tox_time"] = T["wlatest"]
            return clock, analysis, x, incomplete

        out = dict(promising=0, stop_futility=0, stop_tox=0, stop_accrual=0)
        clock, a1, x1, inc1 = stage(0.0, d.n1, math.inf, 0.0)
        end, x2 = a1, 0
        pause = self.cfg.design.pause_after_stage1
        if T["tox_time"] <= a1:
            out["stop_tox"], end = 1, T["tox_time"]
        elif inc1:
            out["stop_accrual"] = 1
        elif pause and x1 <= d.r1:
            out["stop_futility"] = 1
        else:
            fut = x1 <= d.r1
            _, a2, xs, inc2 = stage(a1 if pause else clock, d.n - d.n1, a1 if fut else math.inf, clock)
            a2 = max(a2, a1)
            if fut:
                if T["tox_time"] <= a1:
                    out["stop_tox"], end = 1, T["tox_time"]
                else:
                    out["stop_futility"] = 1
            elif T["tox_time"] <= a2:
                out["stop_tox"], end = 1, T["tox_time"]
            else:
                x2, end = xs, a2
                out["stop_accrual"] = int(inc2)
                out["promising"] = int(x1 + x2 > d.r)
        out.update(
            enrolled=T["n"], evaluable=T["eval"], responses=x1 + x2, duration_days=end,
            tox_patients=T["toxpat"], deaths=T["deaths"], rdi_sum=T["rdi"], dose_sum=T["dose"],
            x1=x1, stage1_days=a1,
        )
        self.draws = rng.draws  # numbers this replicate drew from its stream
        return out

    def run(self, key: int, n: int) -> list[dict]:
        """Records of replicates 0 .. n-1."""
        return [self.replicate(int(np.uint64(key)), rep) for rep in range(n)]
