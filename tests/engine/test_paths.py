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
    PAT_ENROLL,
    PAT_RDI,
    pack_scenario,
)
from simtrial.engine.simulate import _run_scenario
from simtrial.model import load_config

N = 5000


def _packs(path):
    cfg = load_config(path)
    design = cfg.resolved_design()
    return [pack_scenario(cfg, design, i) for i in range(len(cfg.scenarios))]


def test_lean_flag_is_set_where_expected():
    assert all(p.ipar[I_LEAN] == 1 for p in _packs("benchmarks/reference.yaml"))
    assert all(p.ipar[I_LEAN] == 1 for p in _packs("configs/binomial.yaml"))
    # Survival, dose reductions, a toxicity rule: the general path.
    assert all(p.ipar[I_LEAN] == 0 for p in _packs("configs/len_dex.yaml"))
    assert all(p.ipar[I_LEAN] == 0 for p in _packs("configs/cytotoxic_monitored.yaml"))


@pytest.mark.parametrize("path", ["benchmarks/reference.yaml", "configs/binomial.yaml"])
def test_lean_path_equals_general_path(path, seed):
    for i, packed in enumerate(_packs(path)):
        general = packed._replace(ipar=packed.ipar.copy())
        general.ipar[I_LEAN] = 0
        key = scenario_key(seed, i)
        tot_a, rec_a = _run_scenario(run_chunks, packed, key, N, True, None)
        tot_b, rec_b = _run_scenario(run_chunks, general, key, N, True, None)
        assert np.array_equal(rec_a, rec_b)
        for name in tot_a:
            assert np.array_equal(tot_a[name], tot_b[name]), name
        assert rec_a[:, 4].min() < rec_a[:, 4].max()  # enrolment varies: not vacuous


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
