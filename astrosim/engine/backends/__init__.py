"""Back ends: where a fused kernel is assembled, compiled, loaded and given its state.

``Backend`` (``base.py``) is the interface; ``NumbaCPU`` (``numba_cpu.py``) is today's
back end (numba on CPU threads). A GPU back end would implement the same methods, with an
element-parallel policy and counter-based random streams.
"""
from .base import Backend, ParallelPolicy
from .numba_cpu import NumbaCPU

__all__ = ["Backend", "ParallelPolicy", "NumbaCPU", "backend_for"]


def backend_for(options):
    """The back end for ``options`` (only ``NumbaCPU`` so far)."""
    return NumbaCPU(options)
