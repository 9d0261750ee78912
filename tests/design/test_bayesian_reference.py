"""Published BOP2 and predictive probability numbers (tests/reference/*.csv; provenance in bayesian_README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from simtrial.design.bop2 import Bop2Rule
from simtrial.design.predictive import predictive_probability, predictive_table
from simtrial.design.thall_simon import prob_exceeds

REF = Path(__file__).parents[1] / "reference"


def _rows(name: str) -> list[dict[str, str]]:
    with (REF / name).open() as fh:
        return list(csv.DictReader(fh))


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(";")) if text else ()


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(";")) if text else ()


def _half_unit(text: str) -> float:
    # A published value rounded to d decimals is within half a unit of the d-th decimal.
    return 0.5 * 10 ** -len(text.split(".")[1]) + 1e-12


@pytest.mark.parametrize("row", _rows("bop2_boundaries.csv"), ids=lambda r: r["source"])
def test_bop2_published_boundaries(row) -> None:
    q1 = float(row["q1"]) if row["q1"] else None
    lam, gam = float(row["lambda"]), float(row["gamma"])
    rule = Bop2Rule(
        p0=float(row["p0"]), looks=_ints(row["looks"]), lambda_=lam, gamma=gam, prior=_floats(row["prior"]),
        efficacy_form=row["efficacy_form"], eta=float(row["eta"]) if row["eta"] else None,
        q1=q1, lambda_t=lam if q1 else None, gamma_t=gam if q1 else None,
        prior_t=_floats(row["prior_t"]) if q1 else None,
    )
    table = rule.table()
    assert table.futility == _ints(row["futility"])
    if row["efficacy"]:
        assert table.efficacy[:-1] == _ints(row["efficacy"])
    else:
        assert not table.has_efficacy
    if row["toxicity"]:
        assert table.toxicity == _ints(row["toxicity"])
    if row["final_promising"]:
        assert table.futility[-1] + 1 == int(row["final_promising"])


@pytest.mark.parametrize("row", _rows("predictive_pp.csv"), ids=lambda r: r["source"])
def test_predictive_probability_published(row) -> None:
    pp = predictive_probability(int(row["x"]), int(row["n"]), int(row["nmax"]), float(row["p0"]),
                                float(row["theta_t"]), _floats(row["prior"]))
    assert abs(pp - float(row["pp"])) <= _half_unit(row["pp"])


def test_predictive_bounds_published() -> None:
    rows = _rows("predictive_bounds.csv")
    r0 = rows[0]
    looks = _ints(r0["looks"])
    table = predictive_table(float(r0["p0"]), looks[-1], float(r0["theta_t"]), float(r0["theta_l"]),
                             float(r0["theta_u"]), prior=_floats(r0["prior"]), looks=looks)
    assert [int(r["n"]) for r in rows] == list(table.looks)
    assert table.futility == tuple(int(r["x_futility"]) for r in rows)
    assert table.efficacy[:-1] == tuple(int(r["x_efficacy"]) for r in rows[:-1])
    # At the last look PP is 0 or 1: phase1b's xU there is the final threshold.
    assert table.futility[-1] + 1 == int(rows[-1]["x_efficacy"])
    p0, prior = float(r0["p0"]), _floats(r0["prior"])
    for r in rows:
        n = int(r["n"])
        for key, x in (("post_futility", int(r["x_futility"])), ("post_efficacy", int(r["x_efficacy"]))):
            post = float(prob_exceeds(x, n, prior, p0)[0])
            assert abs(post - float(r[key])) <= _half_unit(r[key]), (n, key)
