"""The kernel's per-chunk totals are exactly those of its per-replicate records.

Categories are counted with the deciding look, integer outcomes by value,
float outcomes summed trial by trial. The totals must equal, bit for bit,
sequential sums of the stored records taken chunk by chunk in order (the
order ``simulate`` combines chunks in), and the counts the records' own.
"""

from __future__ import annotations

import numpy as np
import pytest

from simtrial.engine.outcomes import PAIR_SLOTS
from simtrial.engine._rng import run_key
from simtrial.engine.outcomes import CATEGORY_SLOT, COUNT_SLOTS, ENROLLED_SLOT, FLOAT_SLOTS, LOOK_SLOT, PROMISING
from simtrial.engine.simulate import CHUNK_SIZE, _pairs, _run
from simtrial.model import load_config
from test_paths import _packed


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
    designs, model, des = _packed(cfg)
    n = 2 * CHUNK_SIZE + 777  # a partial last chunk
    pairs = _pairs(cfg, designs)
    tot, out = _run(model, des, run_key(seed), n, True, None, pairs)
    recs = out.recs
    assert recs.shape[:2] == (n, len(cfg.scenarios) * len(designs))
    for u in range(recs.shape[1]):
        r = recs[:, u]
        cats = np.zeros_like(tot["cat"][u])
        np.add.at(cats, (r[:, CATEGORY_SLOT].astype(np.int64), r[:, LOOK_SLOT].astype(np.int64)), 1)
        assert np.array_equal(tot["cat"][u], cats)
        for j, slot in enumerate(COUNT_SLOTS):
            want = np.bincount(r[:, slot].astype(np.int64), minlength=tot["cnt"].shape[-1])
            assert np.array_equal(tot["cnt"][u, j], want)
        f = r[:, list(FLOAT_SLOTS)]
        n_enr = r[:, ENROLLED_SLOT][:, None]
        assert np.array_equal(tot["fs"][u, :, 0], _chunked_sum(f))
        assert np.array_equal(tot["fs"][u, :, 1], _chunked_sum(f * f))
        assert np.array_equal(tot["fs"][u, :, 2], _chunked_sum(f * n_enr))
        assert tot["dur"][u].sum() == n
    # Sums of products of the paired units, metric by metric.
    for p, (a, b) in enumerate(pairs):
        ya = recs[:, a][:, list(PAIR_SLOTS)].copy()
        yb = recs[:, b][:, list(PAIR_SLOTS)].copy()
        ya[:, 0] = np.isin(ya[:, 0], PROMISING)
        yb[:, 0] = np.isin(yb[:, 0], PROMISING)
        assert np.array_equal(tot["pair"][p], _chunked_sum(ya * yb))
    if path == "configs/len_dex.yaml":
        # Every stop reason and deaths occur: nothing is compared as zeros only.
        cats = set(recs[:, :, CATEGORY_SLOT].astype(np.int64).ravel())
        assert {0, 2, 3, 4, 5, 6} <= cats
        assert recs[:, :, COUNT_SLOTS[-1]].max() > 0
