"""An independent, slow, pure-Python simulator of the simtrial trial model.

Double programming: it reads the validated config and the resolved designs
(not the engine's packed arrays) and follows the README's "Model rules"
section, written as an explicit list of patients and slots. It must
reproduce the engine's per-replicate records exactly.

Random numbers (README, "Reproducibility"): replicate j of run key K has seed
s = splitmix64(K ^ splitmix64(j)); variable v of patient k is SplitMix64
output number 16 k + v of seed s, i.e. mix(s + (16 k + v + 1) * GOLDEN).
Variables: 0 arrival gap (standard exponential), 1 response (uniform), 2
survival (standard exponential), 3 withdrawal (uniform), 4 + l first
toxicity at dose level l (uniform). A uniform is the top 53 bits times
2**-53; an event of probability q happens when u < q; the cycle of a first
event is the least k in the course with u < F(k). An exponential is the
ziggurat of Marsaglia and Tsang (2000) with the engine's layer tables
(checked on their own in tests/engine/test_ziggurat.py): layer from the top
10 bits, uniform from bits 1-53, and further numbers, when needed, from the
SplitMix64 stream seeded with the first output.

Every time of a patient's course is an offset from their enrolment,
computed in the order the rules state, and added to the enrolment time.
"""

from __future__ import annotations

import math

from simtrial.engine import _rng

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
DAYS_PER_MONTH = 365.25 / 12.0
NEVER = 1 << 40
_ZIG_R = float(_rng.ZIG_R)
_KE = [int(k) for k in _rng.ZIG_KE]
_WE = [float(w) for w in _rng.ZIG_WE]
_FE = [float(f) for f in _rng.ZIG_FE]
CATEGORIES = ("promising_final", "promising_interim", "promising_early", "futile_interim", "not_promising_final",
              "stopped_toxicity", "accrual_cap")


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def splitmix(x: int) -> int:
    return mix((x + GOLDEN) & MASK)


def replicate_seed(key: int, j: int) -> int:
    return splitmix((int(key) ^ splitmix(j)) & MASK)


def output(seed: int, patient: int, var: int) -> int:
    return mix((seed + (16 * patient + var + 1) * GOLDEN) & MASK)


def uniform_of(x: int) -> float:
    return float(x >> 11) * (1.0 / 9007199254740992.0)


def exponential_of(x: int) -> float:
    """Standard exponential by the ziggurat: layer from the top 10 bits, uniform from bits 1-53."""
    i = 1

    def more() -> int:
        nonlocal i
        y = mix((x0 + i * GOLDEN) & MASK)
        i += 1
        return y

    x0 = x
    while True:
        layer = x >> 54
        u = (x >> 1) & ((1 << 53) - 1)
        z = float(u) * _WE[layer]
        if u < _KE[layer]:
            return z
        if layer == 0:
            # the tail beyond the base strip: R plus an exponential
            return _ZIG_R - math.log(1.0 - uniform_of(more()))
        if _FE[layer] + (_FE[layer - 1] - _FE[layer]) * uniform_of(more()) < math.exp(-z):
            return z
        x = more()


def within(k: int, p_first: float, p_later: float) -> float:
    """F(k) = P(first event within k cycles) = 1 - (1 - p_first) (1 - p_later)^(k - 1)."""
    return 1.0 - (1.0 - p_first) * (1.0 - p_later) ** (k - 1)


def first_cycle(u: float, p_first: float, p_later: float, max_cycles: int) -> int:
    """Cycle (1..max_cycles) of a first event, or NEVER: the least k with u < F(k)."""
    for k in range(1, max_cycles + 1):
        if u < within(k, p_first, p_later):
            return k
    return NEVER


class PySim:
    """Every scenario and design of a config, simulated replicate by replicate."""

    def __init__(self, config, designs) -> None:
        self.cfg = config
        self.designs = designs
        enr = config.enrollment
        self.pieces = []
        t = 0.0
        for piece in enr.rates:
            end = t + piece.duration if piece.duration is not None else math.inf
            self.pieces.append((end, piece.per_month * (1.0 - enr.screen_fail) / DAYS_PER_MONTH))
            t = end
        self.cap = enr.max_duration if enr.max_duration is not None else math.inf
        drug = config.treatment.drugs[config.tox_drug_index()]
        self.doses = [drug.dose, *drug.reductions]
        self.days = set(drug.days)
        self.clen = config.treatment.cycle_length
        self.n_adm = sum(1 for d in range(1, int(self.clen) + 1) if d in self.days)
        ev = config.evaluability
        self.replace = ev.replace_non_evaluable
        self.window = config.monitoring_window()
        self.max_enrolled = []
        self.stop_at = []
        for dz in designs:
            n = dz.table.n_max
            cap = max(ev.max_enrolled, n) if ev.max_enrolled is not None else (2 * n if self.replace else n)
            self.max_enrolled.append(cap)
            rule = dz.block.toxicity_stop if dz.block is not None else None
            bounds = {}
            if rule is not None:
                from scipy.stats import beta

                a, b = rule.prior
                for m in range(rule.every, cap + 1, rule.every):
                    for x in range(m + 1):
                        if beta.sf(rule.threshold, a + x, b + m - x) > rule.posterior_bound:
                            bounds[m] = x
                            break
            self.stop_at.append(bounds)

    # -- arrivals ---------------------------------------------------------------
    def arrival_after(self, t: float, gap: float) -> float:
        """Spend the standard exponential gap on the piecewise-constant intensity from t."""
        need = gap
        start = 0.0
        for end, rate in self.pieces:
            if end <= t:
                start = end
                continue
            if rate > 0.0:
                if t + need * (1.0 / rate) < end:
                    return t + need * (1.0 / rate)
                need -= (end - t) * rate
            t = end
        raise AssertionError("unreachable: the last rate piece is open-ended")

    # -- one patient ------------------------------------------------------------
    def patient(self, seed: int, k: int, sc) -> dict:
        cfg = self.cfg
        tox = cfg.toxicity
        max_c = cfg.treatment.max_cycles
        clen = self.clen
        p_level = [min(1.0, sc.p_tox * (d / self.doses[0]) ** tox.dose_exponent) for d in self.doses]
        p_c1 = min(1.0, sc.p_tox * tox.cycle1_factor)
        responder = uniform_of(output(seed, k, 1)) < sc.p_response
        death = math.inf
        surv = cfg.survival
        if surv is not None:
            med = sc.os_median if sc.os_median is not None else surv.median
            scale = med / math.log(2.0) ** (1.0 / surv.shape)
            if responder:
                scale = scale * surv.hr_responders ** (-1.0 / surv.shape)
            e = exponential_of(output(seed, k, 2))
            death = scale * (e if surv.shape == 1.0 else e ** (1.0 / surv.shape))
        pw = cfg.evaluability.withdrawal_per_cycle
        leave = NEVER if pw == 0.0 else (1 if pw >= 1.0 else first_cycle(uniform_of(output(seed, k, 3)), pw, pw, max_c))

        def first_tox(level: int) -> int:
            pf = p_c1 if level == 0 else p_level[level]
            p = p_level[level]
            if pf >= 1.0:
                return 1
            if pf <= 0.0 and p <= 0.0:
                return NEVER
            return first_cycle(uniform_of(output(seed, k, 4 + level)), pf, p, max_c)

        assess_cycle = cfg.response.assess_after_cycles
        first = first_tox(0)
        first_at_start = first
        lvl, at_lvl, cyc, begin = 0, 0, 0, 0.0
        events = 0
        given = 0.0
        days_here = total_days = 0
        held = 0.0
        assessed = None
        wtox, wtime = False, None
        died = False
        while True:
            cyc += 1
            at_lvl += 1
            finish = begin + at_lvl * clen
            if death < finish:
                # dies during this cycle: doses of the days begun before death were given
                cycle_start = begin + (at_lvl - 1) * clen
                days_begun = min(math.ceil(death - cycle_start), int(clen))
                days_here += sum(1 for d in range(1, days_begun + 1) if d in self.days)
                off, died = death, True
                break
            days_here += self.n_adm
            had = at_lvl == first
            stop = False
            if had:
                events += 1
                if cyc <= self.window and not wtox:
                    wtox, wtime = True, finish
                last_level = lvl == len(self.doses) - 1
                too_many = tox.max_events is not None and events >= tox.max_events
                if tox.on_event == "discontinue" or too_many or last_level:
                    stop = True
            if cyc == assess_cycle and cyc != leave:
                assessed = finish
            if cyc == self.window and wtime is None:
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
                first = first_tox(lvl)
        given += self.doses[lvl] * days_here
        total_days += days_here
        planned = self.doses[0] * total_days + (self.doses[0] * self.n_adm / clen) * held
        ok = assessed is not None
        return {
            "gap": exponential_of(output(seed, k, 0)),
            "evaluable": ok,
            "response": ok and responder,
            "responder": responder,
            "known": assessed if ok else off,
            "tox": events > 0,
            "wtox": wtox,
            "wknown": wtime if wtime is not None else off,
            "jtox": ok and first_at_start <= assess_cycle,
            "death": death,
            "rdi": given / planned if (planned > 0.0 and given != planned) else 1.0,
            "dose": given,
            "died": died,
        }

    # -- one design on the cohort ----------------------------------------------
    def trial(self, seed: int, sc, cohort: list, d: int) -> dict:
        dz = self.designs[d]
        tab = dz.table
        looks, fut, eff = tab.looks, tab.futility, tab.efficacy
        toxb = tab.toxicity or (None,) * tab.n_looks
        last = tab.n_looks - 1
        bounds = self.stop_at[d]

        def pat(i: int) -> dict:
            while len(cohort) <= i:
                cohort.append(self.patient(seed, len(cohort), sc))
            return cohort[i]

        def decide(k: int, x: int, tx: int):
            if toxb[k] is not None and tx >= toxb[k]:
                return "stopped_toxicity"
            if x <= fut[k]:
                return "not_promising_final" if k == last else "futile_interim"
            if k == last:
                return "promising_final"
            if eff[k] is not None and x >= eff[k]:
                return "promising_interim"
            return None

        enrolled: list[tuple[float, dict]] = []  # (enrolment time, patient)
        slots = [0.0] * (looks[0] if dz.pause else looks[last])  # opening times of open slots
        t = 0.0
        stop_time = math.inf
        tox_time = math.inf
        decision = None  # (time, category, look, responses)
        closed_at = None
        k_next = 0
        stage = 0
        while True:
            while slots:
                if len(enrolled) >= self.max_enrolled[d]:
                    closed_at = t
                    break
                slots.sort()
                open_at = slots[0]
                p = pat(len(enrolled))
                a = self.arrival_after(max(t, open_at), p["gap"])
                if a > stop_time:
                    break
                if a > self.cap:
                    closed_at = self.cap
                    break
                slots.pop(0)
                t = a
                enrolled.append((a, p))
                if self.replace and not p["evaluable"]:
                    slots.append(a + p["known"])
                m = len(enrolled)
                if m in bounds:
                    n_tox = sum(q["wtox"] for _, q in enrolled)
                    when = max(e + q["wknown"] for e, q in enrolled)
                    if n_tox >= bounds[m] and when < tox_time:
                        tox_time = when
                        stop_time = min(stop_time, tox_time)
                if not dz.pause:
                    resolved = sum(1 for _, q in enrolled if q["evaluable"] or not self.replace)
                    while k_next <= last and resolved >= looks[k_next]:
                        x = sum(q["response"] for _, q in enrolled)
                        tx = sum(q["jtox"] for _, q in enrolled)
                        cat = decide(k_next, x, tx)
                        if cat is not None and decision is None:
                            when = max(e + q["known"] for e, q in enrolled)
                            decision = (when, cat, k_next + 1, x)
                            stop_time = min(stop_time, when)
                        k_next += 1
            if not dz.pause or closed_at is not None or slots:
                break
            # paused: every slot of this look is used; its analysis when all outcomes are known
            when = max(e + q["known"] for e, q in enrolled)
            x = sum(q["response"] for _, q in enrolled)
            tx = sum(q["jtox"] for _, q in enrolled)
            cat = decide(stage, x, tx)
            if cat is not None:
                decision = (when, cat, stage + 1, x)
                break
            if when >= tox_time:
                break
            stage += 1
            slots = [when] * (looks[stage] - looks[stage - 1])

        known_max = max((e + q["known"] for e, q in enrolled), default=0.0)
        all_resp = sum(q["response"] for _, q in enrolled)
        if decision is not None:
            tox_first = tox_time <= decision[0]
        elif closed_at is not None:
            tox_first = tox_time <= max(closed_at, known_max)
        else:
            tox_first = True
        if tox_first:
            cat, look, end, resp = "stopped_toxicity", 0, tox_time, all_resp
        elif decision is not None:
            end, cat, look, resp = decision
        else:
            end = max(closed_at, known_max)
            # Determined promising: responses above the final bound and, for a joint design, toxicities that
            # could not reach its bound even if every slot still open were filled by a toxic patient.
            resolved = sum(1 for _, q in enrolled if q["evaluable"] or not self.replace)
            tox_all = sum(q["jtox"] for _, q in enrolled)
            tox_ok = toxb[last] is None or tox_all + max(looks[last] - resolved, 0) < toxb[last]
            cat = "promising_early" if all_resp > fut[last] and tox_ok else "accrual_cap"
            look, resp = 0, all_resp
        rdi = dose = 0.0
        for _, q in enrolled:
            rdi += q["rdi"]
            dose += q["dose"]
        return {
            "category": cat,
            "look": look,
            "enrolled": len(enrolled),
            "evaluable": sum(q["evaluable"] for _, q in enrolled),
            "responses": resp,
            "tox_patients": sum(q["tox"] for _, q in enrolled),
            "deaths": sum(q["died"] for _, q in enrolled),
            "duration_days": end,
            "rdi_sum": rdi,
            "dose_sum": dose,
            # Per patient: (enrolment time, relative dose intensity, death offset, latent responder).
            "patients": [(e, q["rdi"], q["death"], q["responder"]) for e, q in enrolled],
        }

    def replicate(self, key: int, j: int) -> list[dict]:
        """Records of replicate j: scenario by scenario, design by design."""
        seed = replicate_seed(key, j)
        out = []
        for sc in self.cfg.scenarios:
            cohort: list = []
            for d in range(len(self.designs)):
                rec = self.trial(seed, sc, cohort, d)
                rec["scenario"] = sc.name
                rec["design"] = self.designs[d].name
                out.append(rec)
        return out

    def run(self, key: int, n: int) -> list[dict]:
        """Records of replicates 0 .. n-1."""
        return [r for j in range(n) for r in self.replicate(int(key), j)]
