"""The kernels' two per-patient paths and their two output routes agree exactly.

* A lean scenario (``ipar[I_LEAN]``) run through the general path gives
  bit-identical records, sums and histograms.
* The chunk histograms (accrual by enrolment time, relative dose intensity)
  equal histograms built from the per-patient rows that
  ``simulate_replicate`` writes for the same replicates.
"""

from __future__ import annotations

import numpy as np
import pytest

from simtrial.engine._kernels import make_scratch, run_chunks, simulate_replicate
from simtrial.engine._rng import scenario_key, seed_stream
from simtrial.engine.pack import (
    F_INV_BIN_WIDTH,
    I_LEAN,
    I_N_RDI_BINS,
    I_N_TIME_BINS,
    LEAN_PACK_BITS,
    PAT_ENROLL,
    PAT_RDI,
    R_CAPSTOP,
    R_ENROLLED,
    R_EVALUABLE,
    R_RESPONSES,
    R_TOXPAT,
    R_X1,
    pack_scenario,
)
from simtrial.engine.simulate import _run_scenario
from simtrial.model import load_config, parse_config

N = 5000

# Lean, but with what the reference model does not reach: no pause after
# stage 1 (patients arriving before the stage-1 analysis are enrolled after
# a futility stop), an accrual cap that ends some trials, withdrawal certain
# after cycle 3 and toxicity that can make a patient non-evaluable (no
# replacement).
LEAN_EDGES = {
    "schema_version": 1, "name": "lean_edges",
    "enrollment": {"rates": [{"per_month": 3.0}], "max_duration": "11 months"},
    "treatment": {"cycle_length": "21 days", "max_cycles": 8, "drugs": [{"name": "a", "dose": 2.5, "days": [1, 8]}]},
    "toxicity": {"on_event": "discontinue", "cycle1_factor": 1.5},
    "response": {"assess_after_cycles": 2},
    "evaluability": {"replace_non_evaluable": False},
    "design": {"r1": 1, "n1": 10, "r": 5, "n": 29, "pause_after_stage1": False},
    "scenarios": [{"name": "low", "p_response": 0.1, "p_tox": 0.2}, {"name": "high", "p_response": 0.3, "p_tox": 0.05}],
}  # fmt: skip


def _packs(path):
    cfg = parse_config(LEAN_EDGES) if path == "lean_edges" else load_config(path)
    design = cfg.resolved_design()
    return [pack_scenario(cfg, design, i) for i in range(len(cfg.scenarios))]


def test_lean_flag_is_set_where_expected():
    assert all(p.ipar[I_LEAN] == 1 for p in _packs("benchmarks/reference.yaml"))
    assert all(p.ipar[I_LEAN] == 1 for p in _packs("configs/binomial.yaml"))
    # Survival, dose reductions, a toxicity rule: the general path.
    assert all(p.ipar[I_LEAN] == 0 for p in _packs("configs/len_dex.yaml"))
    assert all(p.ipar[I_LEAN] == 0 for p in _packs("configs/cytotoxic_monitored.yaml"))


def _lean_records_equal_general(packed, key, n):
    """Records of ``packed`` (a lean scenario), checked equal to the general path's, totals too."""
    general = packed._replace(ipar=packed.ipar.copy())
    general.ipar[I_LEAN] = 0
    tot_a, rec_a = _run_scenario(run_chunks, packed, key, n, True, None)
    tot_b, rec_b = _run_scenario(run_chunks, general, key, n, True, None)
    assert np.array_equal(rec_a, rec_b)
    for name in tot_a:
        assert np.array_equal(tot_a[name], tot_b[name]), name
    return rec_a


def _largest_lean(n):
    """A lean scenario of ``n`` patients in which nearly all respond, are toxic and are evaluable."""
    return parse_config({
        "schema_version": 1, "name": "largest_lean",
        "enrollment": {"rates": [{"per_month": 1000.0}]},
        "treatment": {"cycle_length": "28 days", "max_cycles": 2, "drugs": [{"name": "a", "dose": 1.5, "days": [1]}]},
        "toxicity": {"on_event": "discontinue"},
        "response": {"assess_after_cycles": 1},
        "design": {"r1": 0, "n1": 10, "r": 5, "n": n},
        "scenarios": [{"name": "all", "p_response": 0.999, "p_tox": 0.999}],
    })  # fmt: skip


def test_lean_path_takes_trials_whose_counts_fit_its_packed_fields(seed):
    # A stage's counts are packed into fields of LEAN_PACK_BITS bits: the
    # largest trial that fits takes the lean path, and its counts come out
    # as the general path's, field by field; one patient more does not.
    top = (1 << LEAN_PACK_BITS) - 1
    too_big = _largest_lean(top + 1)
    assert pack_scenario(too_big, too_big.resolved_design(), 0).ipar[I_LEAN] == 0
    cfg = _largest_lean(top)
    packed = pack_scenario(cfg, cfg.resolved_design(), 0)
    assert packed.ipar[I_LEAN] == 1
    rec = _lean_records_equal_general(packed, scenario_key(seed, 0), 4)
    # Every field nearly full: a carry between fields would show.
    assert (rec[:, R_ENROLLED] == top).all()
    assert (rec[:, R_EVALUABLE] > top - 1000).all()
    assert (rec[:, R_RESPONSES] > top - 1000).all()
    assert (rec[:, R_TOXPAT] > top - 1000).all()


@pytest.mark.parametrize("path", ["benchmarks/reference.yaml", "configs/binomial.yaml", "lean_edges"])
def test_lean_path_equals_general_path(path, seed):
    for i, packed in enumerate(_packs(path)):
        rec = _lean_records_equal_general(packed, scenario_key(seed, i), N)
        assert rec[:, R_ENROLLED].min() < rec[:, R_ENROLLED].max()  # enrolment varies: not vacuous
        if path == "lean_edges":
            assert packed.ipar[I_LEAN] == 1
            assert rec[:, R_CAPSTOP].any()  # the accrual cap ended some trials
            assert (rec[:, R_EVALUABLE] < rec[:, R_ENROLLED]).any()  # non-evaluable patients occur
            # stage-1 futility with enrolment beyond n1 (the overrun)
            assert ((rec[:, R_X1] <= 1) & (rec[:, R_ENROLLED] > 10)).any()


@pytest.mark.parametrize("path", ["benchmarks/reference.yaml", "configs/len_dex.yaml",
                                  "configs/cytotoxic_monitored.yaml"])
def test_histograms_equal_the_patient_rows(path, seed):
    for i, packed in enumerate(_packs(path)):
        key = scenario_key(seed, i)
        tot, _ = _run_scenario(run_chunks, packed, key, N, False, None)
        scratch = make_scratch(packed)
        pat = scratch[1]
        state = np.empty(2, dtype=np.uint64)
        enrol, rdi = [], []
        for rep in range(N):
            seed_stream(state, key, rep)
            n = simulate_replicate(state, *packed, *scratch)
            enrol.extend(pat[:n, PAT_ENROLL])
            rdi.extend(pat[:n, PAT_RDI])
        enrol, rdi = np.array(enrol), np.array(rdi)
        n_tb, n_rb = int(packed.ipar[I_N_TIME_BINS]), int(packed.ipar[I_N_RDI_BINS])
        accr = np.bincount(np.minimum((enrol * packed.fpar[F_INV_BIN_WIDTH]).astype(np.int64), n_tb),
                           minlength=n_tb + 1)
        rdih = np.bincount(np.clip((rdi * n_rb).astype(np.int64), 0, n_rb - 1), minlength=n_rb)
        assert np.array_equal(tot["accr"], accr)
        assert np.array_equal(tot["rdi"], rdih)
        if path == "configs/len_dex.yaml":
            assert (rdi < 1.0).any()  # reduced doses reach the RDI histogram
