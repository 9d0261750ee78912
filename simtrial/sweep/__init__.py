"""Parameter sweeps: grid expansion, cell seeds, execution backends, cell storage and resume.

Typical use::

    from simtrial.sweep import load_sweep, run_sweep

    spec = load_sweep("configs/sweep_accrual_response.yaml")
    outcome = run_sweep(spec, "results/sweep", n_jobs=2)
    outcome.table        # tidy: cell x scenario x metric
"""

from simtrial.model.sweep import RangeAxis, SweepConfig
from simtrial.sweep.backends import slurm_cluster
from simtrial.sweep.grid import Cell, cell_id, cell_identity, cell_seed, expand_grid
from simtrial.sweep.run import SweepOutcome, run_sweep
from simtrial.sweep.spec import SweepSpec, load_sweep, parse_sweep
from simtrial.sweep.store import SweepStore

__all__ = [
    "Cell",
    "RangeAxis",
    "SweepConfig",
    "SweepOutcome",
    "SweepSpec",
    "SweepStore",
    "cell_id",
    "cell_identity",
    "cell_seed",
    "expand_grid",
    "load_sweep",
    "parse_sweep",
    "run_sweep",
    "slurm_cluster",
]
