"""Parameter sweeps on Dask: a protocol or a Brian2 build function over a grid, one batched engine
run per chunk of points, results in an indexed folder of HDF5 shards.

``astrosim.sweep(target, grid, out=...)`` runs a sweep (this module is callable; it is
:func:`run_sweep`); ``astrosim.io.load(folder)`` or :func:`load_sweep` reads it back.
"""
import sys
import types

from .api import make_axes, run_sweep
from .execute import SweepTaskError
from .grid import Axis, SweepInputError, parse_axis
from .results import SweepResults, load_sweep
from .runners import Model

__all__ = ["run_sweep", "load_sweep", "Model", "SweepResults", "SweepInputError", "SweepTaskError", "Axis",
           "parse_axis", "make_axes", "is_sweep_folder"]


def is_sweep_folder(path):
    """True when ``path`` is a folder holding a sweep index."""
    import os

    from .store import INDEX

    return os.path.isdir(path) and os.path.exists(os.path.join(path, INDEX))


class _CallableModule(types.ModuleType):
    """Lets ``astrosim.sweep(...)`` call :func:`run_sweep` while ``astrosim.sweep`` stays a package."""

    def __call__(self, *args, **kwargs):
        return run_sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
