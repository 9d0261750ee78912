"""Patient-level simulation engine (the only place numba lives).

The numba kernels are imported lazily by :func:`simulate`, so importing this
package stays cheap.
"""

from simtrial.engine.result import Estimate, ScenarioResult, SimulationResult
from simtrial.engine.simulate import simulate

__all__ = ["simulate", "Estimate", "ScenarioResult", "SimulationResult", "warmup"]


def warmup() -> None:
    """Compile (or load from numba's cache) every kernel once."""
    from simtrial.engine._warmup import warmup as _w

    _w()
