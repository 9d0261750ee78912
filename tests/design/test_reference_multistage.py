"""Published multistage designs (tests/reference/multistage_designs.csv; provenance in multistage_README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from simtrial.design.families import find_designs

REF = Path(__file__).parents[1] / "reference" / "multistage_designs.csv"


def _ints(text: str) -> tuple[int | None, ...]:
    return tuple(int(v) if v else None for v in text.split(";"))


def _rows():
    with REF.open() as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: f"{r['source']}-{r['family']}-{r['kind']}-{r['p0']}-{r['p1']}")
def test_published_design(row) -> None:
    opts = {"p0": float(row["p0"]), "p1": float(row["p1"]), "alpha": float(row["alpha"])}
    if row["beta"]:
        opts["beta"] = float(row["beta"])
    looks = _ints(row["looks"])
    if row["family"] == "fleming":
        opts["looks"] = list(looks)
    d = find_designs(row["family"], **opts).design(row["kind"])
    # Integers equal.
    assert d.table.looks == looks
    assert d.table.futility == _ints(row["futility"])
    want_eff = _ints(row["efficacy"]) if row["efficacy"] else (None,) * len(looks)
    assert d.table.efficacy == want_eff
    # Floats printed to about 15 significant digits by the source: agree to 1e-10.
    for key, got in (("en0", d.en0), ("en1", d.en1), ("type1", d.alpha), ("type2", 1.0 - d.power)):
        if row[key]:
            assert got == pytest.approx(float(row[key]), abs=1e-10), key
