"""The ``simtrial`` command line: one thin command per verb.

A command body is load -> validate -> call -> write. User errors
(:class:`simtrial.errors.SimtrialError`) become one line on stderr and exit
code 2 (1 for a run that could not finish, :class:`simtrial.errors.RunError`),
never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from typing import Annotated, Any

import typer

from simtrial._terminal import natural_width, print_table
from simtrial.errors import SimtrialError

def _flags_shown_as_flags(base: type) -> type:
    """``base`` (a typer command or group class) showing boolean flags in ``--help`` without a ``<bool>`` value."""

    class FlagsAsFlags(base):  # type: ignore[misc, valid-type]
        def get_params(self, ctx: Any) -> list[Any]:
            params = super().get_params(ctx)
            for param in params:
                if getattr(param, "is_flag", False) and param.metavar is None:
                    param.metavar = ""
            return params

    return FlagsAsFlags


class _App(typer.Typer):
    """A Typer app whose commands turn :class:`SimtrialError` into one line and its exit code (2: bad input).

    Wrapping at registration (rather than in :func:`main`) means the same
    behaviour holds under ``typer.testing.CliRunner``.
    """

    def command(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        from typer.core import TyperCommand

        kwargs.setdefault("cls", _flags_shown_as_flags(TyperCommand))
        register = super().command(*args, **kwargs)

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*a: Any, **k: Any) -> Any:
                try:
                    return func(*a, **k)
                except SimtrialError as exc:
                    fail(str(exc), exc.exit_code)
                except BrokenPipeError:
                    raise
                except OSError as exc:  # a file or folder that cannot be read or written
                    fail(_os_error_message(exc))

            register(wrapper)
            return func

        return decorator


def _group_class() -> type:
    from typer.core import TyperGroup

    return _flags_shown_as_flags(TyperGroup)


app = _App(
    name="simtrial",
    cls=_group_class(),
    help="Design, simulate and justify phase 2 oncology trials: Simon and the designs weighed against it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout instead of a table.")]


def _print_version(value: bool) -> None:
    if value:
        from simtrial._provenance import code_version

        typer.echo(f"simtrial {code_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True,
                     help="Print simtrial's version (and a hash of its source) and exit."),
    ] = False,
) -> None:
    """Design, simulate and justify phase 2 oncology trials: Simon and the designs weighed against it."""


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (numpy scalars and arrays allowed)."""
    from simtrial.io import _json_default

    typer.echo(json.dumps(obj, indent=2, default=_json_default))


def console():
    """A rich console on stdout for human-readable tables."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def fail(message: str, code: int = 2) -> None:
    """Abort with one line on stderr and exit code ``code`` (2: bad input)."""
    message = " ".join(str(message).split())  # one line, whatever the message holds
    typer.echo(f"simtrial: error: {message}", err=True)
    raise typer.Exit(code=code)


def _os_error_message(exc: OSError) -> str:
    """``cannot read or write PATH: reason`` for an OSError, on one line."""
    what = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return f"{what}: {exc}" if exc.strerror is None else what
    return f"cannot read or write {exc.filename}: {what}"


def check_output_dir(path: Any, option: str) -> None:
    """Fail (naming ``option``) unless ``path`` is, or can be created as, a writable folder.

    Checked before any simulation runs, so a typo in ``--out`` costs nothing.
    """
    import os
    from pathlib import Path

    target = Path(path)
    if target.exists() and not target.is_dir():
        fail(f"{option}: {target} is a file, not a folder; give a folder (it is created if missing)")
    parent = target
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        fail(f"{option}: cannot create {target}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        fail(f"{option}: cannot write in {parent}: permission denied")


@contextlib.contextmanager
def writing(option: str) -> Any:
    """Turn an OSError raised while writing output into one line naming ``option``."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        fail(f"{option}: {_os_error_message(exc)}")


# ---------------------------------------------------------------------------
# design / oc / infer  (exact two-stage toolkit)
# ---------------------------------------------------------------------------


_PROB = "a probability in (0, 1)"


@app.command()
def design(
    p0: Annotated[float, typer.Option("--p0", help=f"Response rate of no interest, {_PROB}.")],
    p1: Annotated[float, typer.Option("--p1", help=f"Response rate of interest (> p0), {_PROB}.")],
    alpha: Annotated[float | None, typer.Option(
        "--alpha", help="Largest one-sided type I error, P(promising | p0) (default 0.05).")] = None,
    beta: Annotated[float | None, typer.Option(
        "--beta", help="Largest type II error, power >= 1 - beta (default 0.2).")] = None,
    family: Annotated[str, typer.Option("--family", help="Design family: simon, mander-thompson, chen, fleming, "
                                        "bryant-day, bop2, predictive, thall-simon.")] = "simon",
    nmax: Annotated[
        int | None, typer.Option("--nmax", help="Search every n up to this (raised if the optimal needs more).")
    ] = None,
    min_n: Annotated[int | None, typer.Option("--min-n", help="Constraint: total n at least this.")] = None,
    max_n: Annotated[int | None, typer.Option("--max-n", help="Constraint: total n at most this.")] = None,
    n1: Annotated[int | None, typer.Option("--n1", help="Constraint: fixed stage-1 sample size.")] = None,
    min_n1: Annotated[int | None, typer.Option("--min-n1", help="Constraint: n1 at least this.")] = None,
    max_n1: Annotated[int | None, typer.Option("--max-n1", help="Constraint: n1 at most this.")] = None,
    looks: Annotated[str | None, typer.Option("--looks", help="Looks in evaluable patients, e.g. 10,20,30,40.")] = None,
    lambda_: Annotated[float | None, typer.Option("--lambda", help="BOP2: lambda of the cut-off 1 - lambda (n/N)^gamma.")] = None,
    gamma: Annotated[float | None, typer.Option("--gamma", help="BOP2: gamma of the cut-off 1 - lambda (n/N)^gamma.")] = None,
    prior: Annotated[str | None, typer.Option("--prior", help="Beta prior of the response rate, A,B.")] = None,
    theta_t: Annotated[float | None, typer.Option("--theta-t", help="Predictive: final posterior threshold.")] = None,
    theta_l: Annotated[float | None, typer.Option("--theta-l", help="Predictive: futility threshold on PP.")] = None,
    theta_u: Annotated[float | None, typer.Option("--theta-u", help="Predictive: efficacy threshold on PP.")] = None,
    q0: Annotated[float | None, typer.Option("--q0", help="Joint designs: toxicity rate of no concern.")] = None,
    q1: Annotated[float | None, typer.Option("--q1", help="Joint designs: toxicity rate too high.")] = None,
    alpha_tox: Annotated[float | None, typer.Option(
        "--alpha-tox", help="Bryant-Day: largest P(promising) when effective but toxic (p1, q1); default --alpha.")
    ] = None,
    odds_ratio: Annotated[float | None, typer.Option("--odds-ratio", help="Joint designs: response-toxicity odds ratio.")] = None,
    efficacy_form: Annotated[
        str | None, typer.Option("--efficacy-form", help="BOP2: efficacy stopping, none, power or obf (O'Brien-Fleming).")
    ] = None,
    eta: Annotated[float | None, typer.Option("--eta", help="BOP2: eta of the efficacy cut-off 1 - (1 - lambda) (n/N)^eta.")] = None,
    lambda_t: Annotated[float | None, typer.Option("--lambda-t", help="BOP2: lambda of the toxicity cut-off.")] = None,
    gamma_t: Annotated[float | None, typer.Option("--gamma-t", help="BOP2: gamma of the toxicity cut-off.")] = None,
    every: Annotated[int | None, typer.Option("--every", help="Bayesian designs: a look after every k patients.")] = None,
    prior_s: Annotated[str | None, typer.Option("--prior-s", help="Thall-Simon: Beta distribution A,B of the standard rate.")] = None,
    tox_bound: Annotated[
        float | None, typer.Option("--tox-bound", help="Thall-Simon: stop if Pr(toxicity rate > q1) exceeds this.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Find designs of a family: Simon's minimax, admissible and optimal designs by default.

    H0: p <= p0 against H1: p >= p1, at one-sided alpha and power 1 - beta.

    Example: simtrial design --p0 0.1 --p1 0.3 --alpha 0.05 --beta 0.2
    """
    from simtrial.design._format import family_table, search_table
    from simtrial.design.families import find_designs

    if n1 is not None and (min_n1 is not None or max_n1 is not None):
        fail("--n1: give either --n1 or --min-n1/--max-n1, not both")
    for low, high, names in ((min_n, max_n, ("--min-n", "--max-n")), (min_n1, max_n1, ("--min-n1", "--max-n1"))):
        for value, name in zip((low, high), names):
            if value is not None and value < 1:
                fail(f"{name}: must be an integer >= 1, got {value}")
        if low is not None and high is not None and low > high:
            fail(f"{names[0]}/{names[1]}: {names[0]} ({low}) must be <= {names[1]} ({high})")
    options = dict(p0=p0, p1=p1, alpha=alpha, beta=beta, nmax=nmax, min_n=min_n, max_n=max_n, n1=n1,
                   min_n1=min_n1, max_n1=max_n1, looks=_int_list("--looks", looks), lambda_=lambda_, gamma=gamma,
                   prior=_float_list("--prior", prior), theta_t=theta_t, theta_l=theta_l, theta_u=theta_u, q0=q0,
                   q1=q1, alpha_tox=alpha_tox, odds_ratio=odds_ratio, efficacy_form=efficacy_form, eta=eta,
                   lambda_t=lambda_t, gamma_t=gamma_t, every=every, prior_s=_float_list("--prior-s", prior_s),
                   tox_bound=tox_bound)
    try:
        res = find_designs(family, **options)
    except SimtrialError as exc:
        fail(_bounds_as_options(str(exc)))
    if json_out:
        emit_json(res.to_dict())
    elif family == "simon":
        print_table(console(), search_table(res.source))
    else:
        print_table(console(), family_table(res))
        if family in ("bop2", "predictive", "thall-simon"):
            from simtrial.design._boundaries import print_boundaries

            print_boundaries(console(), res.designs[0])


def _int_list(option: str, text: str | None) -> list[int] | None:
    """``"10,20,30"`` -> ``[10, 20, 30]`` (None stays None); one line naming ``option`` otherwise."""
    if text is None:
        return None
    try:
        return [int(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        fail(f"{option}: must be whole numbers separated by commas, e.g. 10,20,30, got {text!r}")
    return None


def _float_list(option: str, text: str | None) -> list[float] | None:
    """``"0.2,0.8"`` -> ``[0.2, 0.8]`` (None stays None); one line naming ``option`` otherwise."""
    if text is None:
        return None
    try:
        return [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        fail(f"{option}: must be numbers separated by commas, e.g. 0.2,0.8, got {text!r}")
    return None


def _bounds_as_options(message: str) -> str:
    """Name the command-line options in a search error about ``n_bounds``/``n1_bounds``."""
    import re

    names = {"n_bounds": ("--min-n", "--max-n"), "n1_bounds": ("--min-n1", "--max-n1")}

    def option(m: re.Match[str]) -> str:
        low, high = names[m.group(1)]
        if m.group(2) is None and "upper bound" in message:
            return high
        return {"[0]": low, "[1]": high}.get(m.group(2) or "", f"{low}/{high}")

    return re.sub(r"\b(n1?_bounds)(\[[01]\])?", option, message)


def _bound_list(option: str, text: str | None) -> list[int | None] | None:
    """``"7,-,12"`` -> ``[7, None, 12]`` (``-`` or an empty entry: no bound at that look); None stays None."""
    if text is None:
        return None
    out: list[int | None] = []
    for v in text.replace(" ", "").split(","):
        if v in ("", "-"):
            out.append(None)
            continue
        try:
            out.append(int(v))
        except ValueError:
            fail(f"{option}: must be whole numbers separated by commas (- for no bound at a look), e.g. 3,11, "
                 f"got {text!r}")
    return out


def _options_in_message(message: str) -> str:
    """Name the command-line options in a decision-table error (``futility[1]`` -> ``--futility[1]``)."""
    import re

    return re.sub(r"(?<![\w-])(looks|futility|efficacy|toxicity)\b", r"--\1", message)


def decision_table_from_options(looks: str | None, futility: str | None, efficacy: str | None = None,
                                toxicity: str | None = None) -> Any:
    """A :class:`~simtrial.design.tables.DecisionTable` from ``--looks/--futility/--efficacy/--toxicity`` text.

    Fails with one line naming the option for anything the table refuses.
    """
    from simtrial.design.tables import DecisionTable

    if looks is None or futility is None:
        fail("--looks/--futility: give both, e.g. --looks 16,41 --futility 3,11 (or Simon's --r1 --n1 --r --n)")
    lk = _int_list("--looks", looks)
    fut = _bound_list("--futility", futility)
    if any(v is None for v in fut or []):
        fail(f"--futility: every look needs a bound (-1: no futility stop there), got {futility!r}")
    eff = _bound_list("--efficacy", efficacy)
    tox = _bound_list("--toxicity", toxicity)
    k = len(lk or [])
    if eff is not None and len(eff) not in (k - 1, k):
        fail(f"--efficacy: give one bound per interim look ({k - 1}), - for none, got {len(eff)}")
    if tox is not None and len(tox) != k:
        fail(f"--toxicity: give one bound per look ({k}), - for none, got {len(tox)}")
    try:
        return DecisionTable(looks=tuple(lk or ()), futility=tuple(fut or ()), efficacy=tuple(eff or ()),
                             toxicity=None if tox is None else tuple(tox))
    except SimtrialError as exc:
        fail(_options_in_message(str(exc)))


@app.command()
def oc(
    p: Annotated[list[float] | None, typer.Option("--p", help="True response rate; repeat for several.")] = None,
    looks: Annotated[str | None, typer.Option("--looks", help="Looks in evaluable patients, e.g. 16,41.")] = None,
    futility: Annotated[str | None, typer.Option("--futility", help="Stop for futility at each look if responses "
                                                 "<= this (last look: promising if >), e.g. 3,11.")] = None,
    efficacy: Annotated[str | None, typer.Option("--efficacy", help="Stop, promising, at each interim look if "
                                                 "responses >= this; - for none, e.g. 7.")] = None,
    toxicity: Annotated[str | None, typer.Option("--toxicity", help="Stop for toxicity at each look if patients "
                                                 "with toxicity >= this; - for none (needs --q).")] = None,
    q: Annotated[list[float] | None, typer.Option("--q", help="True toxicity rate (with --toxicity): one, or one "
                                                  "per --p.")] = None,
    odds_ratio: Annotated[float, typer.Option("--odds-ratio", help="Response-toxicity odds ratio in one patient "
                                              "(with --toxicity).")] = 1.0,
    curtail: Annotated[str | None, typer.Option("--curtail", help="Stop patient by patient once the decision is "
                                                "certain: futility (not promising) or both.")] = None,
    r1: Annotated[int | None, typer.Option("--r1", help="Simon: stop after stage 1 if responses <= r1.")] = None,
    n1: Annotated[int | None, typer.Option("--n1", help="Simon: stage-1 sample size.")] = None,
    r: Annotated[int | None, typer.Option("--r", help="Simon: promising if total responses > r.")] = None,
    n: Annotated[int | None, typer.Option("--n", help="Simon: total sample size.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Exact operating characteristics of any decision table (or Simon design), optionally curtailed.

    P(promising) at p0 is the design's one-sided type I error (alpha); at p1, its power.

    Example: simtrial oc --r1 1 --n1 10 --r 5 --n 29 --p 0.1 --p 0.3

    Example: simtrial oc --looks 16,41 --futility 3,11 --efficacy 7 --p 0.2 --p 0.4
    """
    from simtrial.design import SimonDesign
    from simtrial.design._format import oc_table, table_oc_table

    if not p:
        fail("--p: give at least one true response rate in [0, 1], e.g. --p 0.1 --p 0.3")
    for value in p:
        if not 0.0 <= value <= 1.0:  # also refuses nan
            fail(f"--p: each p must be in [0, 1], got {value}")
    simon_given = [v is not None for v in (r1, n1, r, n)]
    simon = None
    if any(simon_given):
        if not all(simon_given):
            fail("--r1/--n1/--r/--n: give all four for a Simon design")
        if any(v is not None for v in (looks, futility, efficacy, toxicity)):
            fail("--r1/--n1/--r/--n: give either a Simon design or --looks/--futility, not both")
        simon = SimonDesign(r1, n1, r, n)
        table = simon.table()
    else:
        table = decision_table_from_options(looks, futility, efficacy, toxicity)
    if curtail is not None and curtail not in ("futility", "both"):
        fail(f"--curtail: must be futility or both, got {curtail!r}")
    if table.is_joint:
        if not q:
            fail("--q: a table with --toxicity bounds needs the true toxicity rate, e.g. --q 0.2")
        if len(q) not in (1, len(p)):
            fail(f"--q: give one toxicity rate or one per --p ({len(p)}), got {len(q)}")
        for value in q:
            if not 0.0 <= value <= 1.0:
                fail(f"--q: each q must be in [0, 1], got {value}")
        if curtail is not None:
            fail("--curtail: curtailment of a table with --toxicity bounds is not supported")
    elif q:
        fail("--q: applies only to a table with --toxicity bounds")
    if not (odds_ratio > 0.0 and odds_ratio < float("inf")):
        fail(f"--odds-ratio: must be a number > 0, got {odds_ratio}")

    res = table.oc(p, q if table.is_joint else None, odds_ratio=odds_ratio)
    cur = cur_table = None
    if curtail is not None:
        from simtrial.design.curtail import curtail as curtail_table

        cur_table = curtail_table(table, curtail)
        cur = cur_table.oc(p)
    if json_out:
        emit_json(_oc_json(table, res, simon, curtail, cur_table, cur))
    elif simon is not None and cur is None:
        print_table(console(), oc_table(simon.oc(p)))
    else:
        print_table(console(), table_oc_table(res, cur, curtail))


def _oc_json(table: Any, res: Any, simon: Any, mode: str | None, cur_table: Any, cur: Any) -> dict[str, Any]:
    """``{"design": {...}, "oc": [...]}`` of the oc command (Simon's keys kept when a Simon design was given)."""
    design: dict[str, Any] = {**(simon.to_dict() if simon is not None else {}), **table.to_dict()}
    records = res.to_records()
    if simon is not None:
        # Simon's closed forms, exactly as before; the table's keys added beside them.
        for rec, old in zip(records, simon.oc([rec["p"] for rec in records]).to_records(), strict=True):
            rec.update(old)
    if cur is not None:
        design["curtail"] = mode
        design["curtailed"] = cur_table.to_dict()
        for rec, crec, s in zip(records, cur.to_records(), range(len(records)), strict=True):
            rec["en_uncurtailed"] = rec["en"]
            rec.update({k: crec[k] for k in ("p_reject", "pet", "p_early_efficacy", "en", "pet_by_look",
                                              "efficacy_by_look")})
            rec["sample_size_distribution"] = [
                [n, float(v[s])] for n, v in cur.sample_size_distribution().items() if v[s] > 0.0
            ]
    return {"design": design, "oc": records}


def _optional_int_list(option: str, text: str | None) -> list[int | None] | None:
    """``"7,-,9"`` -> ``[7, None, 9]``: ``-`` (or ``none``) marks a look without a bound."""
    if text is None:
        return None
    out: list[int | None] = []
    for v in text.replace(" ", "").split(","):
        if v.lower() in ("-", "none"):
            out.append(None)
            continue
        try:
            out.append(int(v))
        except ValueError:
            fail(f"{option}: must be whole numbers or - (no bound) separated by commas, e.g. 7,-,12, got {text!r}")
    return out


_SIMON_FLAGS = ("--r1", "--n1", "--r", "--n")


def _design_table(simon: tuple[int | None, ...], looks: str | None, futility: str | None, efficacy: str | None) -> Any:
    """The design as a DecisionTable, from ``--r1/--n1/--r/--n`` or from ``--looks/--futility[/--efficacy]``."""
    from simtrial.design import SimonDesign
    from simtrial.design.tables import DecisionTable

    simon_given = [v is not None for v in simon]
    if looks is not None or futility is not None or efficacy is not None:
        if any(simon_given):
            fail("--looks/--futility/--efficacy: give the design either this way or as --r1/--n1/--r/--n, not both")
        if looks is None or futility is None:
            fail(f"{'--looks' if looks is None else '--futility'}: a table needs --looks and --futility "
                 "(one bound per look), e.g. --looks 16,41 --futility 3,11")
        return DecisionTable(looks=_int_list("--looks", looks), futility=_int_list("--futility", futility),
                             efficacy=_optional_int_list("--efficacy", efficacy) or ())
    if not all(simon_given):
        missing = ", ".join(f for f, given in zip(_SIMON_FLAGS, simon_given) if not given)
        fail(f"{missing}: give the design as --r1/--n1/--r/--n, or as --looks/--futility[/--efficacy]")
    return SimonDesign(*simon)


def _as_options(message: str) -> str:
    """Name the command-line options in a library message (``n_stop`` -> ``--n-stop``)."""
    import re

    from simtrial.design.families import option_flag

    return re.sub(r"\b(n_stop|n_look)\b", lambda m: option_flag(m.group(1)), message)


_R1 = Annotated[int | None, typer.Option("--r1", help="Simon design: stop after stage 1 if responses <= r1.")]
_N1 = Annotated[int | None, typer.Option("--n1", help="Simon design: stage-1 sample size.")]
_R = Annotated[int | None, typer.Option("--r", help="Simon design: promising if total responses > r.")]
_N = Annotated[int | None, typer.Option("--n", help="Simon design: planned total sample size.")]
_LOOKS = Annotated[str | None, typer.Option("--looks", help="Decision table: looks in evaluable patients, e.g. 16,41.")]
_FUTILITY = Annotated[str | None, typer.Option(
    "--futility", help="Decision table: stop for futility at look k if responses <= a_k (-1: no stop); at the last "
    "look, promising if responses > a_K. E.g. 3,11.")]
_EFFICACY = Annotated[str | None, typer.Option(
    "--efficacy", help="Decision table: stop and declare promising at interim look k if responses >= b_k; "
    "- for none. E.g. 7 or 7,-.")]


@app.command()
def infer(
    x: Annotated[int, typer.Option("--x", help="Responses at the look where the trial ended (Simon form: total "
                                   "responses, <= r1 means stopped after stage 1).")],
    p0: Annotated[float, typer.Option("--p0", help=f"Null response rate for the p-value, {_PROB}.")],
    r1: _R1 = None,
    n1: _N1 = None,
    r: _R = None,
    n: _N = None,
    looks: _LOOKS = None,
    futility: _FUTILITY = None,
    efficacy: _EFFICACY = None,
    n_stop: Annotated[
        int | None,
        typer.Option("--n-stop", help="Patients evaluated when the trial ended (one of the looks). Needed only when "
                     "--x could end the trial at several looks (efficacy stops). If the last look enrolled more or "
                     "fewer than planned, give the actual number as the last of --looks."),
    ] = None,
    n2_actual: Annotated[
        int | None,
        typer.Option("--n2-actual", help="Simon form: stage-2 patients actually evaluated, if not as planned. "
                     "Inference then uses the design with this stage-2 size, as if planned: exact when the change "
                     "did not depend on stage-1 results."),
    ] = None,
    conf_level: Annotated[float, typer.Option("--conf-level", help="Two-sided confidence level.")] = 0.95,
    json_out: JsonOpt = False,
) -> None:
    """UMVUE, median-unbiased estimate, p-value and exact CI after a two-stage or decision-table trial.

    Example: simtrial infer --r1 1 --n1 10 --r 5 --n 29 --x 4 --p0 0.1

    Example: simtrial infer --looks 16,41 --futility 3,11 --efficacy 7 --x 9 --n-stop 16 --p0 0.2
    """
    from simtrial.design import SimonDesign, table_inference, two_stage_inference
    from simtrial.design._format import inference_table
    from simtrial.design._format_trial import table_inference_table

    design = _design_table((r1, n1, r, n), looks, futility, efficacy)
    if isinstance(design, SimonDesign) and n2_actual == 0 and x > design.r1:
        fail(f"--n2-actual: 0 means no stage-2 patient was evaluated, but x = {x} > r1 = {design.r1} means the trial "
             "went on to stage 2; give the number of stage-2 patients evaluated (>= 1), or leave --n2-actual out if it "
             "was n - n1")
    try:
        if isinstance(design, SimonDesign):
            res = two_stage_inference(design, x, p0=p0, n2_actual=n2_actual, conf_level=conf_level)
            if n_stop is not None and n_stop != res.n_evaluated:
                fail(f"--n-stop: x={x} means the trial ended with {res.n_evaluated} patients, got --n-stop {n_stop}")
        else:
            if n2_actual is not None:
                fail("--n2-actual: only with --r1/--n1/--r/--n; with --looks give the actual last look instead")
            res = table_inference(design, x, p0=p0, n_stop=n_stop, conf_level=conf_level)
    except SimtrialError as exc:
        fail(_as_options(str(exc)))
    if json_out:
        emit_json(res.to_dict())
    elif isinstance(design, SimonDesign):
        print_table(console(), inference_table(res))
    else:
        print_table(console(), table_inference_table(res))


@app.command()
def interim(
    p1: Annotated[float, typer.Option("--p1", help=f"Response rate of interest for the conditional power, {_PROB}.")],
    r1: _R1 = None,
    n1: _N1 = None,
    r: _R = None,
    n: _N = None,
    looks: _LOOKS = None,
    futility: _FUTILITY = None,
    efficacy: _EFFICACY = None,
    n_look: Annotated[
        int | None, typer.Option("--n-look", help="Patients evaluated at the look to analyse (one of the looks; "
                                 "default: every look, or the interim look of a two-look design with --x).")
    ] = None,
    x: Annotated[int | None, typer.Option("--x", help="Responses at that look: analyse this one result.")] = None,
    prior: Annotated[str, typer.Option("--prior", help="Beta prior A,B of the response rate for the predictive "
                                       "power.")] = "1,1",
    json_out: JsonOpt = False,
) -> None:
    """Interim look: stop / continue for each response count, with conditional and predictive power.

    Example: simtrial interim --r1 1 --n1 10 --r 5 --n 29 --p1 0.3

    Example: simtrial interim --r1 1 --n1 10 --r 5 --n 29 --p1 0.3 --x 2
    """
    from simtrial.design import SimonDesign, interim_analysis, interim_table
    from simtrial.design._format_trial import interim_decision_tables, interim_result_table

    design = _design_table((r1, n1, r, n), looks, futility, efficacy)
    table = design.table() if isinstance(design, SimonDesign) else design
    beta_prior = _float_list("--prior", prior)
    try:
        if x is not None:
            if n_look is None:
                if table.n_looks != 2:
                    fail(f"--n-look: with --x, say at which look ({', '.join(map(str, table.looks[:-1]))} patients)")
                n_look = table.looks[0]
            res = interim_analysis(table, n_look, x, p1=p1, prior=beta_prior)
        else:
            res = interim_table(table, p1=p1, prior=beta_prior, n_looks=None if n_look is None else [n_look])
    except SimtrialError as exc:
        fail(_as_options(str(exc)))
    if json_out:
        emit_json(res.to_dict())
        return
    con = console()
    if x is not None:
        print_table(con, interim_result_table(res))
    else:
        for t in interim_decision_tables(res):
            print_table(con, t)


# ---------------------------------------------------------------------------
# run / warmup  (patient-level simulation)
# ---------------------------------------------------------------------------


@app.command()
def run(
    config: Annotated[str, typer.Argument(help="Trial config (YAML), e.g. configs/len_dex.yaml.")],
    n_sim: Annotated[int | None, typer.Option("--n-sim", help="Replicates per scenario (default: the config's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed, >= 0 (default: the config's).")] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", help="Numba threads (default: all cores; results do not depend on it).")
    ] = None,
    out: Annotated[str | None, typer.Option("--out", help="Output folder (default: results/<config name>/).")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a different run already in the output folder (and its report).")
    ] = False,
    replicates: Annotated[
        bool, typer.Option("--replicates", help="Also write replicates.parquet (refused if it would not fit).")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report", help="Also write the protocol report (HTML, Markdown, PDF, figures) into OUT/report/.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Simulate a trial config at patient level and report its operating characteristics.

    The output folder holds summary.csv, config.yaml (with the seed, replicates and threads used:
    `simtrial run OUT/config.yaml` reproduces the run), metadata.json and result.json.

    Example: simtrial run configs/len_dex.yaml --n-sim 20000 --seed 1 --out runs/len_dex
    """
    from pathlib import Path

    from simtrial.engine._table import run_json, run_tables
    from simtrial.io import FolderLock, check_run_folder, run_config, run_identity
    from simtrial.model import load_config

    if n_sim is not None and n_sim < 1:
        fail(f"--n-sim: must be an integer >= 1, got {n_sim}")
    if seed is not None and seed < 0:
        fail(f"--seed: must be an integer >= 0, got {seed}")
    if threads is not None and threads < 1:
        fail(f"--threads: must be an integer >= 1, got {threads}")
    cfg = load_config(config)
    folder = Path(out) if out else Path("results") / Path(config).stem
    check_output_dir(folder, "--out")
    n_sim = cfg.simulation.n_sim if n_sim is None else n_sim
    seed = cfg.simulation.seed if seed is None else seed
    threads = capped_threads(threads, cfg.simulation.threads)
    identity = run_identity(run_config(cfg.to_dict(), n_sim=n_sim, seed=seed, threads=threads),
                            replicates=replicates)
    lock = FolderLock(folder, key="--out", busy=f"another simtrial command is writing in {folder}; wait for it or "
                      "choose another --out")
    with writing("--out"):
        lock.acquire()
    try:
        check_run_folder(folder, identity, overwrite=overwrite)
        if replicates:
            from simtrial._budget import check_replicates_fit

            check_replicates_fit(len(cfg.scenarios) * len(cfg.design_blocks()), n_sim, folder)
        result = _simulate_and_save(cfg, folder, n_sim=n_sim, seed=seed, threads=threads, replicates=replicates,
                                    overwrite=overwrite, report=report)
    except KeyboardInterrupt:  # before the run's files were moved into place (see _simulate_and_save)
        _interrupted(f"nothing was written to {folder}")
    finally:
        lock.release(remove_unused=True)
    if json_out:
        emit_json(run_json(result, config))
    else:
        con = console()
        for table in run_tables(result):
            print_table(con, table)
        con.print(f"written: {folder}/", soft_wrap=True)


def capped_threads(threads: int | None, configured: int | None, option: str = "--threads") -> int | None:
    """The numba thread count to ask for: ``threads`` (the option), else ``configured`` (the config's).

    A count above numba's limit (the machine's cores) is capped, and stderr
    says so; results do not depend on it.
    """
    import numba

    want, name = (threads, option) if threads is not None else (configured, "simulation.threads")
    most = int(numba.config.NUMBA_NUM_THREADS)
    if want is not None and want > most:
        typer.echo(f"simtrial: {name} {want} capped at {most}, the number of cores numba can use here", err=True)
        return most
    return threads


def _interrupted(what: str) -> None:
    """Ctrl-C: one line saying what was and was not written, exit code 130."""
    typer.echo(f"simtrial: interrupted; {what}", err=True)
    raise typer.Exit(code=130)


def _simulate_and_save(cfg: Any, folder: Any, *, n_sim: int, seed: int, threads: int | None, replicates: bool,
                       overwrite: bool, report: bool) -> Any:
    """Announce a long run, simulate with a progress bar, save, write the report if asked.

    Ctrl-C before the files are moved into place propagates (the caller
    says nothing was written); after that, it ends the command with a line
    saying what was written.
    """
    from simtrial.engine import simulate
    from simtrial.io import REPORT_DIR, InterruptedAfterSave, replace_folder, save_run

    _announce_long_run(cfg, n_sim=n_sim, seed=seed, threads=threads)
    with run_progress(n_sim, _stderr_console()) as advance:
        result = simulate(cfg, n_sim=n_sim, seed=seed, threads=threads, replicates=replicates, progress=advance)
    try:
        with writing("--out"):
            save_run(result, folder, overwrite=overwrite)
    except InterruptedAfterSave:  # Ctrl-C while the files were moved into place: they all were
        _interrupted(f"the run was written to {folder}")
    if report:
        from simtrial.report import write_report

        try:
            with writing("--out"):
                replace_folder(folder / REPORT_DIR, lambda d: write_report(result, d))
        except KeyboardInterrupt as exc:
            if isinstance(exc, InterruptedAfterSave):
                _interrupted(f"the run and its report were written to {folder}")
            _interrupted(f"the run was written to {folder}, its report was not (`simtrial report {folder}` writes it)")
    return result


def _announce_long_run(cfg: Any, *, n_sim: int, seed: int, threads: int | None) -> None:
    """Say on stderr, before starting, that a run will take more than a few minutes (timed on a pilot)."""
    from simtrial._budget import LONG_RUN_SECONDS, describe_seconds, estimate_seconds

    estimate = estimate_seconds(cfg, n_sim=n_sim, seed=seed, threads=threads)
    if estimate is not None and estimate[0] > LONG_RUN_SECONDS:
        seconds, rate = estimate
        typer.echo(
            f"simtrial: this run is expected to take about {describe_seconds(seconds)} "
            f"({len(cfg.scenarios)} scenario(s) x {n_sim:,} replicates at about {rate:,.0f} per second)",
            err=True,
        )


@contextlib.contextmanager
def run_progress(total: int, err: Any) -> Any:
    """A progress bar on ``err`` for ``total`` replicates: count, replicates per second and time left.

    Yields the ``progress(k)`` callback of :func:`simtrial.engine.simulate`.
    Drawn only on a terminal.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} replicates/s")

    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), RateColumn(), TimeElapsedColumn(),
                  TextColumn("left"), TimeRemainingColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("run", total=total)
        yield lambda k: bar.advance(task, k)


@app.command()
def compare(
    config: Annotated[str, typer.Argument(help="Trial config with a designs: list, e.g. configs/len_dex_designs.yaml.")],
    n_sim: Annotated[int | None, typer.Option("--n-sim", help="Replicates per scenario (default: the config's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed, >= 0 (default: the config's).")] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="Numba threads (default: all cores).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Designs side by side: exact properties at p0 and p1, and each simulated on the same patients.

    Paired differences between the designs are what `simtrial run` prints after its tables.

    Example: simtrial compare configs/len_dex_designs.yaml --n-sim 20000
    """
    from simtrial.compare import compare_designs
    from simtrial.compare._format import comparison_tables
    from simtrial.engine import simulate
    from simtrial.model import load_config

    if n_sim is not None and n_sim < 1:
        fail(f"--n-sim: must be an integer >= 1, got {n_sim}")
    if seed is not None and seed < 0:
        fail(f"--seed: must be an integer >= 0, got {seed}")
    cfg = load_config(config)
    threads = capped_threads(threads, cfg.simulation.threads)
    n = cfg.simulation.n_sim if n_sim is None else n_sim
    with run_progress(n, _stderr_console()) as advance:
        result = simulate(cfg, n_sim=n_sim, seed=seed, threads=threads, progress=advance)
    cmp = compare_designs(result)
    if json_out:
        emit_json(cmp.to_dict())
    else:
        con = console()
        for table in comparison_tables(cmp):
            print_table(con, table)


@app.command()
def warmup(json_out: JsonOpt = False) -> None:
    """Compile every numba kernel once, filling the cache (for CI and cluster images).

    Example: simtrial warmup
    """
    import time

    from simtrial.engine import warmup as _warmup

    t0 = time.perf_counter()
    _warmup()
    elapsed = time.perf_counter() - t0
    if json_out:
        emit_json({"compiled": True, "elapsed_seconds": round(elapsed, 3)})
    else:
        typer.echo(f"kernels compiled and cached in {elapsed:.1f} s")


# ---------------------------------------------------------------------------
# sweep
# ---------------------------------------------------------------------------

_SWEEP_SHOWN_METRICS = {
    "p_promising": "P(promising)",
    "pet": "PET",
    "en_enrolled": "E(enrolled)",
    "duration_mean_months": "mean duration (months)",
}


@app.command("sweep")
def sweep_cmd(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(help="A config with a sweep: block, or a sweep file with base: and sweep:.")],
    n_jobs: Annotated[
        int, typer.Option("--n-jobs", "-j", help="Worker processes (LocalCluster workers with --backend dask); -1: all cores.")
    ] = 1,
    backend: Annotated[str, typer.Option("--backend", help="local (joblib processes) or dask (dask.distributed).")] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="tcp://HOST:PORT of a running dask scheduler (with --backend dask).")
    ] = None,
    out: Annotated[str | None, typer.Option("--out", help="Output directory (default: results/SPEC-NAME/).")] = None,
    worker_timeout: Annotated[
        float,
        typer.Option("--worker-timeout", metavar="SECONDS",
                     help="With --backend dask: give up, with one line, when the scheduler has had no worker for this "
                     "long."),
    ] = 60.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the sweep in --out, skipping finished cells.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Do not show the progress bar on stderr.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Run a parameter sweep: one simulation per grid cell, resumable, bit-reproducible.

    Example: simtrial sweep configs/sweep_accrual_response.yaml --n-jobs 2 --out results/sweep
    """
    from pathlib import Path

    from simtrial.sweep import load_sweep, run_sweep
    from simtrial.sweep.progress import cell_progress
    from simtrial.sweep.store import MANIFEST

    sweep_spec = load_sweep(spec)
    out_dir = Path(out) if out else Path("results") / Path(spec).stem
    check_output_dir(out_dir, "--out")
    if resume and not (out_dir / MANIFEST).is_file():
        what = "does not exist" if not out_dir.exists() else f"holds no sweep (no {MANIFEST})"
        fail(f"--resume: {out_dir} {what}, so there is nothing to resume; run without --resume to start the sweep")
    given = ctx.get_parameter_source("worker_timeout").name != "DEFAULT"
    if given and backend != "dask":
        fail("--worker-timeout: only with --backend dask")
    try:
        with cell_progress(enabled=not no_progress) as bar:
            outcome = run_sweep(
                sweep_spec, out_dir, n_jobs=n_jobs, backend=backend, scheduler=scheduler, resume=resume, progress=bar,
                worker_timeout=worker_timeout,
            )
    except KeyboardInterrupt:
        typer.echo(f"simtrial: interrupted; finished cells are saved in {out_dir}; rerun with --resume", err=True)
        raise typer.Exit(code=130) from None
    summary = {
        "out_dir": str(out_dir),
        "n_cells": outcome.n_cells,
        "computed": len(outcome.computed),
        "skipped": len(outcome.skipped),
        "elapsed_seconds": round(outcome.elapsed_seconds, 3),
        "files": [str(out_dir / "sweep.parquet"), str(out_dir / "sweep.csv")],
    }
    if json_out:
        emit_json(summary)
        return
    wide = outcome.wide()
    shown = [m for m in _SWEEP_SHOWN_METRICS if m in wide.columns]
    cols = [*sweep_spec.axes, "scenario", *shown]
    limit = 60
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in wide[cols].head(limit).itertuples(index=False)]
    title = f"Sweep {sweep_spec.source}: {outcome.n_cells} cells"
    con = console()
    table = sweep_table(title, cols, cells)
    if con.is_terminal and natural_width(con, table) > con.width:
        # A narrow terminal: axis names (long dotted paths) break at their dots.
        table = sweep_table(title, cols, cells, split_paths=True)
    print_table(con, table)
    if len(wide) > limit:
        con.print(f"... {len(wide) - limit} more rows in {out_dir / 'sweep.csv'}", soft_wrap=True)
    con.print(
        f"{summary['computed']} cells computed, {summary['skipped']} already finished, "
        f"{outcome.elapsed_seconds:.1f} s; table: {out_dir / 'sweep.parquet'}, {out_dir / 'sweep.csv'}",
        soft_wrap=True,
    )



def sweep_table(title: str, cols: list[str], cells: list[list[str]], *, split_paths: bool = False) -> Any:
    """The sweep's summary table: one column per axis, the scenario and the shown metrics.

    ``split_paths`` puts each part of a dotted axis name on its own header
    line, for terminals too narrow for the names on one line.
    """
    from rich.table import Table

    table = Table(title=title)
    for c in cols:
        header = _SWEEP_SHOWN_METRICS.get(c, c)
        if split_paths and c not in _SWEEP_SHOWN_METRICS:
            header = header.replace(".", ".\n")
        table.add_column(header, justify="left" if c == "scenario" else "right", no_wrap=True)
    for row in cells:
        table.add_row(*row)
    return table


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


@app.command()
def report(
    results_dir: Annotated[
        str, typer.Argument(help="Folder written by `simtrial run` (result.json) or `simtrial sweep` (manifest.json).")
    ],
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Where to write the report (default: RESULTS_DIR/report/).")
    ] = None,
    spec: Annotated[
        str | None,
        typer.Option("--spec", help="Sweep folders only: the sweep's spec file, if it has moved since the sweep ran."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the design-justification report of a run or a sweep: HTML (self-contained), Markdown + PNG, one PDF.

    Every figure is also written as PDF for print, in OUT/figures/.

    Example: simtrial report runs/len_dex --out protocol/appendix
    """
    from pathlib import Path

    from simtrial.report import is_sweep_dir

    folder = Path(results_dir)
    wanted = "give a folder written by `simtrial run` (holds result.json) or `simtrial sweep` (holds manifest.json)"
    if not folder.exists():
        fail(f"results_dir: {folder} does not exist; {wanted}")
    if not folder.is_dir():
        fail(f"results_dir: {folder} is a file, not a folder; {wanted}")
    out_dir = folder / "report" if out is None else Path(out)
    if is_sweep_dir(folder):
        from simtrial.report import load_finished_sweep, write_sweep_report
        from simtrial.sweep import load_sweep

        sweep_spec = None
        if spec is not None:
            try:
                sweep_spec = load_sweep(spec)
            except SimtrialError as exc:
                fail(f"--spec: {exc}")
        sweep = load_finished_sweep(folder, spec=sweep_spec)
        write = functools.partial(write_sweep_report, sweep, out_dir)
    elif not (folder / "result.json").is_file():
        fail(f"results_dir: {folder} holds neither result.json nor manifest.json; {wanted}")
    elif spec is not None:
        fail(f"--spec: only for a sweep folder (with manifest.json); {results_dir} is not one")
    else:
        from simtrial.io import load_run
        from simtrial.report import write_report

        try:
            result = load_run(folder)
        except SimtrialError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            fail(f"results_dir: {folder / 'result.json'} is not a result written by `simtrial run` "
                 f"({type(exc).__name__}: {exc}); rerun `simtrial run`")
        write = functools.partial(write_report, result, out_dir)
    check_output_dir(out_dir, "--out")
    with writing("--out"):
        paths = write()
    if json_out:
        emit_json({k: str(v) for k, v in paths.items()})
    else:
        typer.echo(f"report: {paths['html']}")
        typer.echo(f"markdown: {paths['markdown']}")
        typer.echo(f"pdf: {paths['pdf']}")
        typer.echo(f"figures (PNG, PDF): {out_dir / 'figures'}")



# ---------------------------------------------------------------------------
# size  (follow-up trial)
# ---------------------------------------------------------------------------


@app.command()
def size(
    config: Annotated[str, typer.Argument(help="Trial config YAML with a followup: block.")],
    json_out: JsonOpt = False,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Override the seed.")] = None,
    n_sim: Annotated[int | None, typer.Option("--n-sim", help="Override every replicate count (>= 100).")] = None,
    threads: Annotated[int | None, typer.Option("--threads", min=1, help="Numba threads (results do not depend on it).")] = None,
    plot: Annotated[str | None, typer.Option("--plot", help="Save power and assurance curve PNGs in this directory.")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="Do not show the progress bar on stderr.")] = False,
) -> None:
    """Size the follow-up trial: single-arm designs, randomized power against N, assurance.

    Example: simtrial size configs/len_dex_followup.yaml --plot figs
    """
    from simtrial.followup.tables import print_followup, total_replicates
    from simtrial.followup.size import size_followup
    from simtrial.model import load_config

    cfg = load_config(config)
    if cfg.followup is None:
        fail(f"followup: {config} has no followup block; see configs/len_dex_followup.yaml")
    if n_sim is not None and n_sim < 100:
        fail(f"--n-sim: must be an integer >= 100, got {n_sim}")
    if plot is not None:
        check_output_dir(plot, "--plot")
    threads = capped_threads(threads, cfg.simulation.threads)
    from rich.progress import Progress

    with Progress(transient=True, disable=no_progress, console=_stderr_console()) as bar:
        task = bar.add_task("follow-up", total=total_replicates(cfg.followup, n_sim))
        result = size_followup(cfg, seed=seed, threads=threads, n_sim=n_sim, progress=lambda k: bar.advance(task, k))
    if plot is not None:
        with writing("--plot"):
            written = _save_size_plots(result, plot)
    if json_out:
        out = result.to_dict()
        if plot is not None:
            out["plots"] = [str(p) for p in written]
        emit_json(out)
    else:
        print_followup(result, console())
        if plot is not None:
            for p in written:
                typer.echo(f"wrote {p}")


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _save_size_plots(result: Any, out_dir: str) -> list[Any]:
    """Power and assurance curves as PNGs (atomic writes); returns the paths written."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simtrial.followup.plots import plot_assurance, plot_power_curve
    from simtrial.io import atomic_write

    written = []
    for name, obj, func in (
        ("followup_power.png", result.randomized, plot_power_curve),
        ("followup_assurance.png", result.assurance, plot_assurance),
    ):
        if obj is None:
            continue
        ax = func(obj)
        fig = ax.figure
        written.append(atomic_write(Path(out_dir) / name, lambda p, fig=fig: fig.savefig(p, format="png")))
        plt.close(fig)
    return written


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning user errors into one line and their exit code.

    Usage errors found by the parser (a missing option, a value that is not a
    number) get the same one-line form as errors found by simtrial itself.
    """
    try:  # recent typer releases vendor click as typer._click
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover - older typer on upstream click
        from click import exceptions as click_exc

    try:
        code = app(args=argv, prog_name="simtrial", standalone_mode=False)
    except click_exc.NoArgsIsHelpError as exc:
        # With rich installed the help has already been printed while the
        # exception was built, and its message is empty.
        if exc.format_message().strip():
            typer.echo(exc.format_message())
        sys.exit(2)
    except click_exc.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "simtrial"
        typer.echo(f"simtrial: error: {exc.format_message()} (see '{where} --help')", err=True)
        sys.exit(2)
    except click_exc.ClickException as exc:
        typer.echo(f"simtrial: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("simtrial: aborted", err=True)
        sys.exit(130)
    except SimtrialError as exc:
        typer.echo(f"simtrial: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
