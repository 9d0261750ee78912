"""Terminal tables of a :class:`~simtrial.compare.DesignComparison` (``simtrial compare``)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["comparison_tables"]


def _cell(e: Any, digits: int) -> str:
    if e is None or math.isnan(e.value):
        return "-"
    # The SE with one more digit, so that it never shows as 0.
    return f"{e.value:.{digits}f} ± {e.se:.{digits + 1}f}" if e.se > 0 else f"{e.value:.{digits}f}"


def comparison_tables(cmp: Any) -> list[Any]:
    """Two rich tables: each design's exact properties, then the simulated ones by scenario."""
    from rich import box
    from rich.table import Table

    exact = Table(title=f"Designs compared: exact at p0 = {cmp.p0:g}, p1 = {cmp.p1:g}" if cmp.p0 is not None
                  else "Designs compared", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption="binomial model: every patient evaluable")
    for col in ("design", "bounds", "max n", "E(N|p0)", "E(N|p1)", "PET(p0)", "alpha", "power"):
        exact.add_column(col, justify="left" if col in ("design", "bounds") else "right")
    for d in cmp.designs:
        e = d.exact
        vals = [f"{e['en0']:.2f}", f"{e['en1']:.2f}", f"{e['pet0']:.3f}", f"{e['alpha']:.4f}", f"{e['power']:.4f}"] \
            if e else ["-"] * 5
        exact.add_row(d.name, d.label, str(d.n_max), *vals)
    sim = Table(title=f"Simulated on the same patients ({cmp.n_sim:,} replicates, seed {cmp.seed})",
                box=box.SIMPLE_HEAD, pad_edge=False, caption="value ± Monte Carlo SE; duration in months")
    for col in ("scenario", "design", "P(promising)", "PET", "E(enrolled)", "E(evaluable)", "median duration",
                "grade>=3 tox"):
        sim.add_column(col, justify="left" if col in ("scenario", "design") else "right")
    for sc in cmp.scenarios:
        for i, d in enumerate(cmp.designs):
            m = d.simulated[sc]
            sim.add_row(sc if i == 0 else "", d.name, _cell(m["p_promising"], 4), _cell(m["pet"], 4),
                        _cell(m["en_enrolled"], 2), _cell(m["en_evaluable"], 2),
                        _cell(m["duration_median_months"], 1), _cell(m["n_tox_patients"], 2),
                        end_section=i == len(cmp.designs) - 1)
    return [exact, sim]
