"""The recorded contents of a file as exporters see them: spike trains per neuron and sampled series.

Both are cut to the window a `RunSpan` trusts (``t_start <= t < t_stop``), so a killed or failed
run exports only the part that every monitor covers. Batched recordings give one item per copy.
"""
from dataclasses import dataclass, field

import numpy as np

from .batches import batch_labels
from .reader import _attr

__all__ = ["SpikeSet", "Series", "spike_sets", "sampled_series", "copies", "check_monitors"]


@dataclass
class SpikeSet:
    """Spikes of one monitor (and one batch copy): times (s) per neuron of the recorded group."""

    monitor: str
    group: str
    size: int
    copy: int  # -1 for unbatched runs
    label: str
    trains: list = field(repr=False)  # size arrays of spike times in s, sorted
    extra: dict = field(default_factory=dict, repr=False)  # other recorded variables per neuron

    @property
    def population(self):
        """Population name: the group, with ``__copyK`` appended for batch copies."""
        return self.group if self.copy < 0 else f"{self.group}__copy{self.copy}"


@dataclass
class Series:
    """One sampled variable (state or rate monitor) of one batch copy, read lazily."""

    monitor: str
    kind: str  # 'state' or 'rate'
    variable: str
    group: str
    record: np.ndarray  # recorded element indices (state) or None (rate)
    copy: int
    label: str
    dataset: object = field(repr=False)  # the h5py dataset
    n_times: int = 0  # samples inside the span
    first: int = 0  # index of the first of them in the stored data
    t0: float = 0.0
    dt: float = 0.0
    times: np.ndarray = field(default=None, repr=False)
    regular: bool = True
    unit: str = "1"
    dimensions: np.ndarray = None
    dtype: str = "float64"

    @property
    def shape(self):
        """``(n_times,)`` or ``(n_times, n_recorded)``."""
        if self.kind == "rate":
            return (self.n_times,)
        return (self.n_times, self.dataset.shape[-1])

    def blocks(self, rows=4096):
        """Yield the data in time blocks ``(rows, ...)``, time first, in stored units (SI)."""
        for start in range(self.first, self.first + self.n_times, rows):
            stop = min(start + rows, self.first + self.n_times)
            if self.copy >= 0:
                block = self.dataset[self.copy, start:stop]
            else:
                block = self.dataset[start:stop]
            if self.dtype == "bool":
                block = block.astype(bool)
            yield block

    def read(self):
        """All the data (time first)."""
        parts = list(self.blocks())
        if not parts:
            return np.zeros(self.shape, dtype=bool if self.dtype == "bool" else self.dataset.dtype)
        return np.concatenate(parts, axis=0)


def check_monitors(rec, monitors):
    """Raise ValueError naming the monitors in ``monitors`` that ``rec`` does not have."""
    if monitors is None:
        return
    unknown = sorted(set(monitors) - set(rec.keys()))
    if unknown:
        raise ValueError(f"{rec.path} has no monitor {', '.join(unknown)} (has {', '.join(rec.keys())})")


def copies(rec):
    """``[(copy index, label)]``: ``[(-1, '')]`` for unbatched files."""
    n = int(rec.metadata.get("batch") or 0) or max((m.batch_size for m in rec.monitors.values()), default=0)
    if not n:
        return [(-1, "")]
    return list(enumerate(batch_labels(rec, n)))


def spike_sets(rec, span, monitors=None):
    """`SpikeSet` for every spike monitor (per copy), cut to ``span``."""
    out = []
    for mon in rec.by_kind("spikes"):
        if monitors is not None and mon.name not in monitors:
            continue
        g = mon._group
        t = g["t"][()]
        i = g["i"][()]
        batch = g["batch"][()] if "batch" in g else None
        extra_vars = [v for v in mon.variables if v not in ("t", "i", "batch")]
        extra = {v: g[v][()] for v in extra_vars}
        keep = (t >= span.t_start) & (t < span.t_stop)
        for copy, label in copies(rec) if batch is not None else [(-1, "")]:
            sel = keep if copy < 0 else keep & (batch == copy)
            ts, ids = t[sel], i[sel]
            order = np.lexsort((ts, ids))  # by neuron, then time
            ts, ids = ts[order], ids[order]
            bounds = np.searchsorted(ids, np.arange(int(mon.source_size) + 1))
            trains = [ts[bounds[n]:bounds[n + 1]] for n in range(int(mon.source_size))]
            per_neuron = {}
            for v, a in extra.items():
                ordered = a[sel][order]
                per_neuron[v] = [ordered[bounds[n]:bounds[n + 1]] for n in range(int(mon.source_size))]
            out.append(SpikeSet(mon.name, mon.source, int(mon.source_size), copy, label, trains, per_neuron))
    return out


def sampled_series(rec, span, monitors=None):
    """`Series` for every variable of every state and rate monitor (per copy), cut to ``span``."""
    out = []
    for mon in rec.monitors.values():
        if mon.kind not in ("state", "rate") or (monitors is not None and mon.name not in monitors):
            continue
        g = mon._group
        t = g["t"][()]
        lo = int(np.searchsorted(t, span.t_start, side="left"))
        hi = max(lo, int(np.searchsorted(t, span.t_stop, side="left")))
        t, n = t[lo:hi], hi - lo
        dt = float(mon.dt)
        regular = bool(n < 2 or np.allclose(np.diff(t), dt, rtol=1e-6, atol=1e-12 * max(1.0, abs(t[-1]))))
        record = g["record"][()] if "record" in g else None
        batched = mon.batch_size > 0
        for var in mon.variables:
            if var == "t":
                continue
            dset = g[var]
            for copy, label in copies(rec) if batched else [(-1, "")]:
                out.append(Series(
                    monitor=mon.name, kind=mon.kind, variable=var, group=mon.source, record=record,
                    copy=copy, label=label, dataset=dset, n_times=n, first=lo, t0=float(t[0]) if n else span.t_start,
                    dt=dt, times=t, regular=regular, unit=str(_attr(dset.attrs.get("unit", "1"))),
                    dimensions=np.asarray(dset.attrs.get("dimensions", np.zeros(7, np.int8))),
                    dtype=str(_attr(dset.attrs.get("dtype", dset.dtype.name))),
                ))
    return out
