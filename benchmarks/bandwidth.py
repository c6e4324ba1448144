"""Memory bandwidth of this machine (STREAM-like numpy copy/scale) and the synaptic-loop estimate."""
import time

import numpy as np

__all__ = ["stream_bandwidth", "SYNAPSE_EVENT_BYTES"]

#: DRAM bytes one synaptic event of the Fig. 1 STP pathway moves: read and write u_S, x_S and
#: lastupdate (3 x 8 B x 2) plus the int32 post-synaptic index. The post-synaptic conductance
#: (4,000 float64 = 32 KB) stays in cache and is not counted.
SYNAPSE_EVENT_BYTES = 3 * 8 * 2 + 4


def stream_bandwidth(n_bytes=256 * 2 ** 20, repeats=5):
    """Best-of-``repeats`` bandwidth in GB/s for STREAM's copy and scale kernels.

    Counts bytes as STREAM does (copy: read a + write b; scale: read b + write a), on float64
    arrays of ``n_bytes`` each, far larger than the last-level cache.
    """
    n = n_bytes // 8
    a = np.ones(n)
    b = np.empty(n)
    np.copyto(b, a)  # touch pages before timing
    best = {"copy": np.inf, "scale": np.inf}
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best["copy"] = min(best["copy"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        np.multiply(b, 3.0, out=a)
        best["scale"] = min(best["scale"], time.perf_counter() - t0)
    return {k: 2 * n * 8 / v / 1e9 for k, v in best.items()}
