"""Sweeps on clusters: a scheduler without workers, the SLURM recipe, the extras that install them."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from simtrial.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _small_sweep(tmp_path: Path) -> Path:
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump({
        "base": str(ROOT / "configs" / "sweep_accrual_response.yaml"),
        "sweep": {"fixed": {"simulation.n_sim": 200}, "axes": {"scenarios.truth.p_response": [0.2, 0.3]}},
    }))
    return spec


def test_a_scheduler_without_workers_is_reported_not_waited_on_for_ever(tmp_path):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    import logging
    import time

    spec, out = _small_sweep(tmp_path), tmp_path / "out"
    with distributed.LocalCluster(n_workers=0, dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        address = cluster.scheduler_address
        t0 = time.monotonic()
        res = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--backend", "dask", "--scheduler", address,
                                  "--worker-timeout", "1.5", "--no-progress"])
        waited = time.monotonic() - t0
        assert res.exit_code == 1, res.output  # not bad input: the cluster had no worker
        assert res.stderr == (
            f"simtrial: error: the dask scheduler at {address} has had no worker for 1.5 s; start workers "
            f"(`dask worker {address} --nthreads 1`) or raise --worker-timeout; 0 of 2 cells are saved in {out}; "
            "rerun with --resume to continue\n"
        )
        assert 1.5 <= waited < 60
        # A worker joins (as a SLURM job would, late): the sweep resumes, and the worker was warmed on joining.
        cluster.scale(1)
        res = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--backend", "dask", "--scheduler", address,
                                  "--resume", "--no-progress", "--json"])
        assert res.exit_code == 0, res.output
        with distributed.Client(address) as client:
            warmed = client.run(lambda: __import__("simtrial.sweep._worker", fromlist=["_"])._initialised)
        assert list(warmed.values()) == [True]
    assert (out / "sweep.parquet").exists()


def test_the_slurm_recipe_builds_a_job_script_of_single_threaded_workers():
    pytest.importorskip("dask_jobqueue", reason="the slurm extra (dask-jobqueue) is not installed")
    from simtrial.sweep import slurm_cluster

    # As in the README's recipe; the scheduler listens on this machine's loopback only.
    cluster = slurm_cluster(cores=8, memory="16GB", walltime="04:00:00", account="myproject",
                            job_script_prologue=["module load python"],
                            scheduler_options={"host": "127.0.0.1", "dashboard_address": None})
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    lines = script.splitlines()
    assert "#SBATCH --cpus-per-task=8" in lines and "#SBATCH -A myproject" in lines and "#SBATCH -t 04:00:00" in lines
    # One numba thread per worker, set before the worker starts; the prologue's own lines follow.
    assert lines.index("export NUMBA_NUM_THREADS=1") < lines.index("module load python")
    worker = next(line for line in lines if "distributed.cli.dask_worker" in line)
    assert worker.startswith(f"{sys.executable} -m distributed.cli.dask_worker tcp://127.0.0.1:")
    assert "--nthreads 1" in worker and "--nworkers 8" in worker


def test_the_extras_install_what_the_readme_uses():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = {name: " ".join(reqs) for name, reqs in project["optional-dependencies"].items()}
    assert "dask[distributed]" in extras["dask"] and "asyncssh" in extras["dask"]  # SSHCluster needs asyncssh
    assert "dask-jobqueue" in extras["slurm"] and "[dask]" in extras["slurm"]
    readme = (ROOT / "README.md").read_text()
    assert "SSHCluster(" in readme and "slurm_cluster(" in readme and '"simtrial-phase2[slurm]"' in readme
