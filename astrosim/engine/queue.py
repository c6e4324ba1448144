"""Spike-queue tables for synaptic pathways (delays in steps, CSR by source and delay)."""
import weakref

import numpy as np

from .errors import UnsupportedFeatureError

__all__ = ["PathwayQueue", "delay_steps", "row_layout"]


def delay_steps(pathway):
    """``(source index - source start, delay in steps)`` of every synapse of ``pathway``."""
    src = pathway.source
    start = int(getattr(src, "start", 0))
    sources = np.asarray(pathway.synapse_sources.get_value(), dtype=np.int64) - start
    nsyn = len(sources)
    dt = float(pathway.clock.dt_)
    delay = np.asarray(pathway.variables["delay"].get_value(), dtype=np.float64)
    if not np.all(np.isfinite(delay)) or np.any(delay < 0):
        raise UnsupportedFeatureError(pathway.name, "negative or non-finite delays")
    steps = (delay / dt + 0.5).astype(np.int64)
    if steps.size == 1:
        steps = np.full(nsyn, steps.item(), dtype=np.int64)
    return sources, steps


def row_layout(pathway):
    """``(ordered, longest row)`` of ``pathway``'s delivery rows (one source, one delay).

    ``ordered``: synapse ids already sorted by (source, delay), so every row is the contiguous
    id range ``ptr[p]:ptr[p + 1]`` of :class:`PathwayQueue` (its ``syn`` table is the identity);
    true for one ``connect`` call with a homogeneous delay, the common case.
    """
    sources, steps = delay_steps(pathway)
    if not len(sources):
        return True, 1
    D1 = int(steps.max()) + 1
    key = sources * D1 + steps
    ordered = bool(np.all(key[1:] >= key[:-1]))
    return ordered, int(np.bincount(key).max())


class PathwayQueue:
    """Connectivity and in-flight spike history of one ``SynapticPathway``.

    The history ring holds, per batch copy, the source neurons that spiked in each of the
    last ``D + 1`` steps; delivery walks it from the oldest push to the newest, so the
    order within a step is Brian2's (push order, then source neuron, then synapse id).
    """

    def __init__(self, pathway, batch):
        self.name = pathway.name
        self.ref = weakref.ref(pathway)
        self.batch = batch
        self.hist = None
        self.cnt = None
        self.update(pathway)

    def update(self, pathway):
        """Rebuild the CSR tables from the current connectivity and delays."""
        src = pathway.source
        start = int(getattr(src, "start", 0))
        stop = int(getattr(src, "stop", len(src)))
        nsrc = stop - start
        sources, steps = delay_steps(pathway)
        nsyn = len(sources)
        if nsyn:
            dmin, dmax = int(steps.min()), int(steps.max())
        else:
            dmin = dmax = 0
        D1 = dmax + 1
        order = np.lexsort((np.arange(nsyn), steps, sources))
        key = sources * D1 + steps
        counts = np.bincount(key, minlength=nsrc * D1)
        ptr = np.zeros(nsrc * D1 + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        self.ptr = ptr
        self.syn = order.astype(np.int64)
        self.info = np.array([dmin, dmax, start, stop], dtype=np.int64)
        shape = (self.batch, D1, max(nsrc, 1))
        if self.hist is None or self.hist.shape != shape:
            self.hist = np.zeros(shape, dtype=np.int32)
            self.cnt = np.zeros((self.batch, D1), dtype=np.int32)

    def arrays(self, prefix):
        """Kernel arguments keyed by name."""
        return {f"{prefix}_ptr": self.ptr, f"{prefix}_syn": self.syn,
                f"{prefix}_hist": self.hist, f"{prefix}_cnt": self.cnt,
                f"{prefix}_info": self.info}
