"""Simon's two-stage designs as a family of ``simtrial design --family``."""

from __future__ import annotations

from simtrial.design.families import FamilyDesign, FamilyResult, register_family
from simtrial.design.search import simon_search

__all__ = ["simon_family"]


@register_family("simon")
def simon_family(
    p0: float,
    p1: float,
    alpha: float = 0.05,
    beta: float = 0.2,
    nmax: int | None = None,
    min_n: int | None = None,
    max_n: int | None = None,
    n1: int | None = None,
    min_n1: int | None = None,
    max_n1: int | None = None,
) -> FamilyResult:
    """Minimax, admissible and optimal Simon designs (:func:`simtrial.design.simon_search`) as a family result."""
    res = simon_search(
        p0, p1, alpha, beta, nmax=nmax,
        n_bounds=None if min_n is None and max_n is None else (min_n, max_n),
        n1=n1,
        n1_bounds=None if min_n1 is None and max_n1 is None else (min_n1, max_n1),
        candidates="frontier",  # the family reports the designs only
    )
    designs = []
    for d in res.designs():
        extra = d.to_dict()
        for key in ("kind", "en0", "pet0", "alpha", "power"):
            extra.pop(key)
        designs.append(FamilyDesign("simon", d.kind, d.design.table(), d.en0, float(d.design.en(p1)), d.pet0,
                                    d.alpha, d.power, extra))
    params = {k: v for k, v in res.to_dict().items() if k != "designs"}
    return FamilyResult("simon", params, tuple(designs), source=res)
