"""Where the engine's time goes: generating patients against running the designs on them.

Run: ``.venv/bin/python benchmarks/profile_kernel.py [--n 200000] [CONFIG ...]``

For each config (the reference model and ``configs/len_dex.yaml`` by
default), on one thread, CPU time, min of several repeats:

* the whole kernel per trial (``run_block`` over the replicates, as
  ``simulate`` drives it);
* patient generation alone: the same number of patients per replicate and
  scenario generated into the cohort buffer (``ensure``) with nothing else,
  scenarios sharing their patients as in the kernel (``respond``);
* the random-number floor: the counter-based draws of those patients only.

What is left after generation is the calendar-time driver and the outcome
bookkeeping of each design; with several designs on one cohort only that
part is repeated.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import LEN_DEX_CONFIG, REFERENCE_CONFIG, print_machine, print_table  # noqa: E402

from simtrial.engine._patients import ensure, start_scenario  # noqa: E402
from simtrial.engine._rng import draw, replicate_seed  # noqa: E402


@njit(cache=True, _nrt=False)
def _generate(key, n_rep, per_rep, model, cohort):
    """Generate ``per_rep[s]`` patients of every scenario ``s`` for replicates ``0 .. n_rep - 1``.

    Compiled without reference counting, as the engine's kernel is (with it, every read of a
    namedtuple's array would count references, per patient).
    """
    total = 0
    for rep in range(n_rep):
        seed = replicate_seed(key, rep)
        gen = 0
        for s in range(per_rep.shape[0]):
            # As the kernel does: a scenario may take over the previous one's patients.
            gen = ensure(seed, s, model, cohort, start_scenario(seed, s, model, cohort, gen), per_rep[s])
            total += gen
    return total


@njit(cache=True, _nrt=False)
def _draws(key, n_rep, per_rep, n_var):
    """The first ``n_var`` variables of those patients' draws, xor-ed (the floor)."""
    acc = np.uint64(0)
    for rep in range(n_rep):
        seed = replicate_seed(key, rep)
        for s in range(per_rep.shape[0]):
            for k in range(per_rep[s]):
                for v in range(n_var):
                    acc ^= draw(seed, k, v)
    return acc


def _cpu(fns, repeats: int) -> list[float]:
    """Best CPU time of each function, the functions taking turns in every repeat.

    Taking turns puts every measurement in the same spells of a machine whose speed drifts.
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - t0)
    return best


def profile(path: Path, n: int, repeats: int) -> list[object]:
    from simtrial.engine._rng import run_key
    from simtrial.engine._patients import make_cohort
    from simtrial.engine.pack import most_enrolled, pack_designs, pack_model
    from simtrial.engine.simulate import _pairs, _run
    from simtrial.model import load_config

    cfg = load_config(path)
    designs = cfg.resolved_designs()
    n_max = most_enrolled(cfg, designs)
    model, des = pack_model(cfg, n_max, designs), pack_designs(cfg, designs)
    key = run_key(cfg.simulation.seed)
    pairs = _pairs(cfg, designs)
    tot, _ = _run(model, des, key, n, False, None, pairs, 1)
    # Patients per replicate and scenario: the mean enrolled (rounded up; every patient generated is enrolled
    # in a paused design without replacement, more are generated with replacement or a cap).
    per = np.array([int(np.ceil((np.arange(c.size) * c).sum() / n)) for c in tot["cnt"][:, 0]], dtype=np.int64)
    cohort = make_cohort(n_max)
    _generate(key, 10, per, model, cohort)
    _draws(key, 10, per, 3)
    trials = n * len(cfg.scenarios) * len(designs)
    t_kernel, t_gen, t_floor = _cpu([lambda: _run(model, des, key, n, False, None, pairs, 1),
                                     lambda: _generate(key, n, per, model, cohort),
                                     lambda: _draws(key, n, per, 3)], repeats)
    patients = n * int(per.sum())
    return [path.name, trials, f"{patients / trials:.1f}", f"{t_kernel / trials * 1e9:.0f}",
            f"{t_gen / patients * 1e9:.1f}", f"{t_gen / t_kernel:.0%}", f"{t_floor / patients * 1e9:.1f}"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="*", type=Path, default=[REFERENCE_CONFIG, LEN_DEX_CONFIG])
    ap.add_argument("--n", type=int, default=200_000, help="replicates per measurement")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    print_machine()
    rows = [profile(p, args.n, args.repeats) for p in args.configs]
    print_table(["config", "trials", "patients / trial", "kernel ns / trial", "generation ns / patient",
                 "generation share of kernel", "three draws ns / patient"], rows,
                title=f"CPU time on one thread, best of {args.repeats}")
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
