"""Figures of the follow-up sizing: power against N, assurance against n.

Like every simtrial figure: ``ax`` in, ``ax`` out, never shown or saved.
"""

from __future__ import annotations

from typing import Any

from simtrial.plots._style import PALETTE, get_ax, styled

__all__ = ["plot_power_curve", "plot_assurance"]


@styled
def plot_power_curve(sizing: Any, *, ax: Any = None, se_mult: float = 2.0, **kwargs: Any) -> Any:
    """Simulated power against total N with the closed-form curves and the target.

    Parameters
    ----------
    sizing : simtrial.followup.RandomizedSizing
    ax : matplotlib Axes or None
    se_mult : float
        Error bars of ``se_mult`` Monte Carlo SE around the simulated power.
    **kwargs
        Passed to the simulated-power ``errorbar`` call.

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax)
    t = sizing.table
    n = t["n"].to_numpy()
    closed = [c for c in ("power_exact_z", "power_normal", "power_fisher", "power_schoenfeld") if c in t]
    labels = {
        "power_exact_z": "z test, exact",
        "power_normal": "z test, normal approximation",
        "power_fisher": "Fisher's exact test, exact",
        "power_schoenfeld": "Schoenfeld approximation",
    }
    for i, c in enumerate(closed):
        ax.plot(n, t[c].to_numpy(), color=PALETTE[(i + 2) % len(PALETTE)], ls=("-", "--", "-.", ":")[i], label=labels[c])
    style = {"fmt": "o", "ms": 3.5, "color": PALETTE[1], "capsize": 2, "label": f"simulated (+/- {se_mult:g} SE)"}
    style.update(kwargs)
    ax.errorbar(n, t["power_sim"].to_numpy(), yerr=se_mult * t["se"].to_numpy(), **style)
    ax.axhline(sizing.answer.target, color=PALETTE[0], lw=0.8, ls=":")
    ans = sizing.answer
    if ans.n_star is not None:
        ax.axvline(ans.n_star, color=PALETTE[0], lw=0.8)
        if ans.boot_low is not None:
            hi = ans.boot_high if ans.boot_high is not None else float(n[-1])
            ax.axvspan(ans.boot_low, hi, color=PALETTE[1], alpha=0.12, lw=0, label="95% bootstrap interval of N*")
    ax.set_xlabel("Total sample size N (both arms)")
    ax.set_ylabel("Power")
    ax.set_ylim(0, 1)
    endpoint = "log-rank test" if sizing.spec.endpoint == "survival" else "two proportions"
    ax.set_title(f"Randomized follow-up: power against N ({endpoint})")
    ax.legend(loc="lower right")
    return ax


@styled
def plot_assurance(assurance: Any, *, ax: Any = None, se_mult: float = 2.0, **kwargs: Any) -> Any:
    """Assurance (exact and simulated) and power at p1 against n for single-stage designs.

    Parameters
    ----------
    assurance : simtrial.followup.AssuranceSizing
    ax : matplotlib Axes or None
    se_mult : float
        Error bars of ``se_mult`` Monte Carlo SE around the simulated assurance.
    **kwargs
        Passed to the exact assurance ``plot`` call.

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax)
    t = assurance.table
    n = t["n"].to_numpy()
    style = {"color": PALETTE[0], "marker": "o", "ms": 3.5, "label": "assurance, exact (beta-binomial)"}
    style.update(kwargs)
    ax.plot(n, t["assurance_exact"].to_numpy(), **style)
    if "assurance_sim" in t:
        ax.errorbar(
            n, t["assurance_sim"].to_numpy(), yerr=se_mult * t["se"].to_numpy(), fmt="s", ms=3, mfc="none",
            color=PALETTE[2], capsize=2, label=f"assurance, simulated (+/- {se_mult:g} SE)",
        )  # fmt: skip
    ax.plot(n, t["power_p1"].to_numpy(), color=PALETTE[1], ls="--", label="power at p1")
    # As n grows, the trial succeeds exactly when p > p0: the assurance's ceiling.
    ax.axhline(assurance.prior_summary["p_above_p0"], color=PALETTE[0], lw=0.8, ls=":", label="prior P(p > p0)")
    ax.set_xlabel("Patients n (single-stage exact binomial design)")
    ax.set_ylabel("Probability of success")
    ax.set_ylim(0, 1)
    ax.set_title(f"Assurance under the design prior {assurance.prior.describe()}")
    ax.legend(loc="lower right")
    return ax
