"""Published Simon designs (tests/reference/simon1989_designs.csv; provenance in simon1989_README.md)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from simtrial.design import simon_search

REF = Path(__file__).parents[1] / "reference" / "simon1989_designs.csv"


def _rows():
    with REF.open() as fh:
        rows = list(csv.DictReader(fh))
    groups = defaultdict(list)
    for row in rows:
        groups[(float(row["p0"]), float(row["p1"]), float(row["alpha"]), float(row["beta"]))].append(row)
    return sorted(groups.items())


@pytest.mark.parametrize(("problem", "rows"), _rows(), ids=lambda v: str(v) if isinstance(v, tuple) else "")
def test_published_designs(problem, rows) -> None:
    res = simon_search(*problem)
    by_kind = defaultdict(list)
    for d in res.designs():
        by_kind[d.kind].append(d)
    for row in rows:
        want = tuple(int(row[k]) for k in ("r1", "n1", "r", "n"))
        matches = [d for d in by_kind[row["kind"]] if (d.design.r1, d.design.n1, d.design.r, d.design.n) == want]
        assert len(matches) == 1, (row, [str(d.design) for d in res.designs()])
        d = matches[0]
        # Published values are rounded: agree to half a unit in the last printed digit.
        for key in ("en0", "pet0", "q_low", "q_high"):
            if row[key]:
                digits = len(row[key].split(".")[1])
                assert abs(getattr(d, key) - float(row[key])) <= 0.5 * 10**-digits + 1e-12, key
    assert len(rows) <= len(res.designs())


def test_nmax_is_raised_not_truncated() -> None:
    # clinfun's ph2simon(0.2, 0.35, 0.05, 0.05) with its default nmax = 100 calls
    # 11/53, 26/99 optimal; the true optimal has n = 109.
    res = simon_search(0.2, 0.35, 0.05, 0.05, nmax=100)
    assert res.nmax_raised and res.proven
    assert str(res.optimal.design) == "11/50, 28/109"
    assert str(res.minimax.design) == "15/68, 25/95"
