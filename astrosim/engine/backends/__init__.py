"""Back ends: where a fused kernel is assembled, compiled, loaded and given its state.

``Backend`` (``base.py``) is the interface; ``NumbaCPU`` (``numba_cpu.py``, ``"cpu"``) runs
numba on CPU threads; ``NumbaCUDA`` (``cuda.py``, ``"cuda"``) runs the kernel on a GPU through
``numba.cuda`` (imported only when asked for).
"""
from .base import Backend, ParallelPolicy
from .numba_cpu import NumbaCPU

__all__ = ["Backend", "ParallelPolicy", "NumbaCPU", "backend_for", "BACKENDS"]

#: names accepted by ``Simulator(backend=...)``
BACKENDS = ("cpu", "cuda")


def backend_for(options, name="cpu"):
    """The back end called ``name`` (see ``BACKENDS``) under ``options``."""
    if name == "cpu":
        return NumbaCPU(options)
    if name == "cuda":
        from .cuda import NumbaCUDA

        return NumbaCUDA(options)
    raise ValueError(f"unknown back end {name!r}; known: {', '.join(map(repr, BACKENDS))}")
