"""The kernel's per-chunk totals are exactly those of its per-replicate records.

Integer outcomes are counted by value in the kernel and their sums formed
from the counts; float outcomes are summed replicate by replicate. Either
way the totals must equal, bit for bit, sequential sums of the stored
records taken chunk by chunk in order (the order ``simulate`` combines
chunks in), and the count histograms the records' own counts.
"""

from __future__ import annotations

import numpy as np
import pytest

from simtrial.engine._kernels import run_chunks
from simtrial.engine._rng import scenario_key
from simtrial.engine.pack import (
    NREC,
    R_DOSE_SUM,
    R_ENROLLED,
    R_EVALUABLE,
    R_RDI_SUM,
    R_TOXPAT,
    pack_scenario,
)
from simtrial.engine.simulate import CHUNK_SIZE, _run_scenario
from simtrial.model import load_config


def _chunked_sum(values: np.ndarray) -> np.ndarray:
    """Sequential sum within each chunk of CHUNK_SIZE rows, then over chunks in order."""
    total = np.zeros(values.shape[1:])
    for lo in range(0, values.shape[0], CHUNK_SIZE):
        total = total + np.cumsum(values[lo:lo + CHUNK_SIZE], axis=0)[-1]
    return total


@pytest.mark.parametrize("path", ["configs/len_dex.yaml", "configs/cytotoxic_monitored.yaml",
                                  "benchmarks/reference.yaml"])
def test_totals_are_the_records_sums(path, seed):
    cfg = load_config(path)
    design = cfg.resolved_design()
    n = 2 * CHUNK_SIZE + 777  # a partial last chunk
    reached = np.zeros(NREC, dtype=bool)
    for i in range(len(cfg.scenarios)):
        packed = pack_scenario(cfg, design, i)
        tot, recs = _run_scenario(run_chunks, packed, scenario_key(seed, i), n, True, None)
        assert recs.shape == (n, NREC)
        assert np.array_equal(tot["sum"], _chunked_sum(recs))
        assert np.array_equal(tot["sumsq"], _chunked_sum(recs * recs))
        enrolled = recs[:, R_ENROLLED]
        cross = np.stack([recs[:, R_RDI_SUM] * enrolled, recs[:, R_DOSE_SUM] * enrolled], axis=1)
        assert np.array_equal(tot["cross"], _chunked_sum(cross))
        for name, col in (("enr", R_ENROLLED), ("evl", R_EVALUABLE), ("tox", R_TOXPAT)):
            want = np.bincount(recs[:, col].astype(np.int64), minlength=tot[name].size)
            assert np.array_equal(tot[name], want)
        assert tot["dur"].sum() == n
        reached |= tot["sum"] != 0.0
    if path == "configs/len_dex.yaml":
        # Every outcome (each stop reason, deaths) occurs there: none is compared as zeros only.
        assert reached.all()
