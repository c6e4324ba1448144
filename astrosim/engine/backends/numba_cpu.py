"""Today's back end: numba-compiled CPU kernels, threads through ``numba.prange``."""
import numpy as np

from .. import runtime
from ..loader import load_module
from .base import Backend, ParallelPolicy

__all__ = ["NumbaCPU"]


class NumbaCPU(Backend):
    """Kernels as numba modules in the disk cache; copies (and large loops) on CPU threads."""

    name = "numba-cpu"

    def policy(self, batch):
        return ParallelPolicy(batch=batch, threads_from=self.options.threads_from,
                              parallel_random=self.options.rng == "counter")

    def assemble(self, builder, *, batch, profile, arrays):
        # copies run in parallel (prange over copies); single-copy runs thread large loops
        return builder.source(parallel=batch > 1, profile=profile, arrays=arrays)

    def load(self, source):
        module, _ = load_module(source, self.options.cache_dir)
        return module

    def random_states(self, seed, batch):
        return runtime.seed_states(seed, batch)

    def allocate(self, shape, dtype):
        return np.zeros(shape, dtype=dtype)
