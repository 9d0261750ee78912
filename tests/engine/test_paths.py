"""The kernels' shortcuts and per-patient outputs agree exactly with what they stand for.

* A course that is one step of treatment without deaths is computed in
  closed form; forced through the general level-by-level walk it gives
  bit-identical records and totals.
* The accrual and relative-dose-intensity histograms and the survival
  sample equal those built from the patients of the independent simulator
  (tests/engine/pysim.py) for the same replicates.
"""

from __future__ import annotations

import numpy as np
import pytest

from pysim import PySim
from simtrial.engine._patients import R_JOINT, R_MONITOR, S_ONE_LEVEL
from simtrial.engine._rng import run_key
from simtrial.engine.pack import N_RDI_BINS, N_TIME_BINS, SURVIVAL_SAMPLE_REPLICATES, most_enrolled, pack_designs
from simtrial.engine.pack import pack_model
from simtrial.engine.simulate import _pairs, _run
from simtrial.model import load_config
from test_double_programming import NO_REPLACEMENT

N = 3000


def _packed(cfg):
    designs = cfg.resolved_designs()
    n_max = most_enrolled(cfg, designs)
    return designs, pack_model(cfg, n_max, designs), pack_designs(cfg, designs)


# A toxicity rule on the reference model (the monitoring window read), and a joint design (the
# toxicities by the response assessment read): the closed-form course forms those only for such runs.
_TOX_STOP = {"threshold": 0.3, "posterior_bound": 0.8, "every": 4, "prior": [1, 1], "window_cycles": 2}
_SIMON = {"r1": 1, "n1": 10, "r": 5, "n": 29, "pause_after_stage1": True}
_REFERENCE_VARIANTS = {
    "monitored": {"design": {**_SIMON, "toxicity_stop": _TOX_STOP}},
    "joint": {"design": {"family": "bryant-day", "p0": 0.1, "p1": 0.3, "q0": 0.3, "q1": 0.5, "alpha": 0.1,
                         "beta": 0.2, "pause_after_stage1": True}},
    "one_monitored_of_two": {"design": None, "designs": [{"name": "plain", **_SIMON},
                                                         {"name": "ruled", **_SIMON, "toxicity_stop": _TOX_STOP}]},
}


def _config(path):
    from simtrial.model import parse_config

    if path == "no_replacement":
        return parse_config(NO_REPLACEMENT)
    if path in _REFERENCE_VARIANTS:
        raw = load_config("benchmarks/reference.yaml").to_dict()
        raw.update(_REFERENCE_VARIANTS[path])
        return parse_config({k: v for k, v in raw.items() if v is not None})
    return load_config(path)


@pytest.mark.parametrize("path", ["benchmarks/reference.yaml", "configs/binomial.yaml", "no_replacement",
                                  *_REFERENCE_VARIANTS])
def test_closed_form_course_equals_level_walk(path, seed):
    cfg = _config(path)
    designs, model, des = _packed(cfg)
    assert (model.si[:, S_ONE_LEVEL] == 1).all()
    # The run-level switches say what the designs read (the walk forms everything regardless).
    assert model.ri[R_MONITOR] == (path in ("monitored", "one_monitored_of_two"))
    assert model.ri[R_JOINT] == (path == "joint")
    walk = model._replace(si=model.si.copy())
    walk.si[:, S_ONE_LEVEL] = 0
    key = run_key(seed)
    tot_a, out_a = _run(model, des, key, N, True, None, _pairs(cfg, designs))
    tot_b, out_b = _run(walk, des, key, N, True, None, _pairs(cfg, designs))
    assert np.array_equal(out_a.recs, out_b.recs)
    for name in tot_a:
        assert np.array_equal(tot_a[name], tot_b[name]), name
    # Not vacuous: enrolment varies.
    assert out_a.recs[:, 0, 2].min() < out_a.recs[:, 0, 2].max()


@pytest.mark.parametrize("path", ["benchmarks/reference.yaml", "configs/len_dex.yaml",
                                  "configs/cytotoxic_monitored.yaml"])
def test_patient_outputs_equal_the_patients(path, seed):
    n = 400
    cfg = load_config(path)
    designs, model, des = _packed(cfg)
    key = run_key(seed)
    tot, out = _run(model, des, key, n, False, None, _pairs(cfg, designs))
    sim = PySim(cfg, designs)
    recs = sim.run(int(key), n)
    inv_width = float(model.rf[1])
    for u in range(len(cfg.scenarios) * len(designs)):
        mine = recs[u::len(cfg.scenarios) * len(designs)]
        enrol = np.array([p[0] for r in mine for p in r["patients"]])
        rdi = np.array([p[1] for r in mine for p in r["patients"]])
        accr = np.bincount(np.minimum((enrol * inv_width).astype(np.int64), N_TIME_BINS), minlength=N_TIME_BINS + 1)
        rdih = np.bincount(np.clip((rdi * N_RDI_BINS).astype(np.int64), 0, N_RDI_BINS - 1), minlength=N_RDI_BINS)
        assert np.array_equal(tot["accr"][u], accr)
        assert np.array_equal(tot["rdi"][u], rdih)
        # The survival sample: the first replicates' patients, followed up to the trial's end.
        t, e, r = [], [], []
        for rec in mine[:SURVIVAL_SAMPLE_REPLICATES]:
            end = rec["duration_days"]
            for enr, _, death, responder in rec["patients"]:
                dth = enr + death
                t.append(max(min(dth, end) - enr, 0.0))
                e.append(1 if dth <= end else 0)
                r.append(1 if responder else 0)
        m = int(out.surv_n[u])
        assert np.array_equal(out.surv_t[u, :m], np.array(t))
        assert np.array_equal(out.surv_e[u, :m], np.array(e))
        assert np.array_equal(out.surv_r[u, :m], np.array(r))
        if path == "configs/len_dex.yaml":
            assert (rdi < 1.0).any()  # reduced doses reach the RDI histogram
            assert sum(e) > 0  # deaths reach the survival sample
