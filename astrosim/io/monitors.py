"""Describe Brian2 monitors and write their rows into growable, chunked HDF5 datasets."""
import json

import numpy as np

from .layout import SERIES_CHUNK, encode_unit, series_chunks, state_chunks

__all__ = ["describe_monitor", "MonitorWriter", "COMPRESSION"]

#: filter options of every data set (fast gzip, byte shuffle)
COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": True}


def describe_monitor(monitor, batch=0):
    """Layout of one Brian2 monitor: kind, source, recorded variables with dimension and dtype.

    Raises
    ------
    TypeError
        If ``monitor`` is not a SpikeMonitor, EventMonitor, StateMonitor or PopulationRateMonitor.
    """
    from brian2 import EventMonitor, PopulationRateMonitor, SpikeMonitor, StateMonitor

    source = monitor.source
    spec = {
        "name": monitor.name,
        "brian2_class": type(monitor).__name__,
        "source": source.name,
        "source_size": int(len(source)),
        "dt": float(monitor.clock.dt_),
        "batch": int(batch or 0),
        "variables": {},
    }
    if isinstance(monitor, EventMonitor):
        spec["kind"] = "spikes" if isinstance(monitor, SpikeMonitor) else "events"
        spec["event"] = monitor.event
        if not monitor.record:
            raise ValueError(f"monitor '{monitor.name}' was created with record=False: nothing to store")
        spec["variables"]["t"] = (monitor.variables["t"].dim, np.float64)
        spec["variables"]["i"] = (None, np.int32)
        for var in sorted(monitor.record_variables - {"t", "i"}):
            spec["variables"][var] = (monitor.variables[var].dim, monitor.variables[var].dtype)
        if batch:
            spec["variables"]["batch"] = (None, np.int32)
    elif isinstance(monitor, StateMonitor):
        spec["kind"] = "state"
        spec["record"] = np.asarray(monitor.record, dtype=np.int64)
        spec["variables"]["t"] = (monitor.variables["t"].dim, np.float64)
        for var in monitor.record_variables:
            spec["variables"][var] = (monitor.variables[var].dim, monitor.variables[var].dtype)
    elif isinstance(monitor, PopulationRateMonitor):
        spec["kind"] = "rate"
        spec["variables"]["t"] = (monitor.variables["t"].dim, np.float64)
        spec["variables"]["rate"] = (monitor.variables["rate"].dim, np.float64)
    else:
        raise TypeError(
            f"'{getattr(monitor, 'name', monitor)}' is a {type(monitor).__name__}; astrosim.io stores "
            "SpikeMonitor, EventMonitor, StateMonitor and PopulationRateMonitor objects"
        )
    return spec


def _storage_dtype(dtype):
    dtype = np.dtype(dtype)
    return np.dtype(np.uint8) if dtype == np.bool_ else dtype


class MonitorWriter:
    """Append rows of one monitor to its HDF5 group, in whole chunks where possible.

    Parameters
    ----------
    parent : h5py.Group
        The ``/monitors`` group; the monitor's group is created in it.
    spec : dict
        Output of `describe_monitor`.
    """

    def __init__(self, parent, spec):
        self.spec = spec
        self.kind = spec["kind"]
        batch = spec["batch"]
        group = parent.require_group(spec["name"])
        for key in ("kind", "brian2_class", "source", "source_size", "dt", "batch"):
            group.attrs[key] = spec[key]
        if "event" in spec:
            group.attrs["event"] = spec["event"]
        group.attrs["variables"] = json.dumps(list(spec["variables"]))
        if self.kind == "state":
            if "record" not in group:
                group.create_dataset("record", data=spec["record"])
            group["record"].attrs["doc"] = "indices (in the source) of the recorded elements"
        self.sorted_by_time = True
        self._last_t = -float("inf")
        self.datasets, self.buffers, self.axes = {}, {}, {}
        for var, (dim, dtype) in spec["variables"].items():
            store = _storage_dtype(dtype)
            if var in group:
                dset = group[var]
            else:
                dset = self._create(group, var, store, batch)
                unit, dims = encode_unit(dim)
                dset.attrs["unit"] = unit
                dset.attrs["dimensions"] = dims
                dset.attrs["dtype"] = np.dtype(dtype).name
            self.datasets[var] = dset
            self.buffers[var] = []
            self.axes[var] = 1 if self._batched(var) else 0

    def _batched(self, var):
        return bool(self.spec["batch"]) and (
            (self.kind == "state" and var != "t") or (self.kind == "rate" and var == "rate")
        )

    def _create(self, group, var, store, batch):
        n_rec = len(self.spec.get("record", ()))
        if self.kind == "state" and var != "t":
            shape = (batch, 0, n_rec) if batch else (0, n_rec)
            n_max = n_rec if n_rec else None  # record=False: an empty neuron axis (HDF5 chunks need >= 1)
            maxshape = (batch, None, n_max) if batch else (None, n_max)
            chunks = state_chunks(n_rec, store.itemsize, batch)
        elif self._batched(var):
            shape, maxshape, chunks = (batch, 0), (batch, None), (1, SERIES_CHUNK)
        else:
            shape, maxshape, chunks = (0,), (None,), series_chunks()
        return group.create_dataset(
            var, shape=shape, maxshape=maxshape, dtype=store, chunks=chunks, **COMPRESSION
        )

    def append(self, rows):
        """Buffer new rows (``{var: array}``, engine chunk format) and write full chunks."""
        if self.kind in ("spikes", "events") and self.sorted_by_time and len(rows.get("t", ())):
            t = np.asarray(rows["t"])
            if t[0] < self._last_t or np.any(np.diff(t) < 0):
                self.sorted_by_time = False
            self._last_t = float(t[-1])
        for var, values in rows.items():
            if var not in self.buffers:
                continue
            arr = np.asarray(values)
            if arr.ndim > self.axes[var] and arr.shape[self.axes[var]] > 0:
                self.buffers[var].append(arr)
        self.write(force=False)

    def buffered_bytes(self):
        """Bytes waiting in the buffers."""
        return sum(a.nbytes for buf in self.buffers.values() for a in buf)

    def write(self, force=True):
        """Write buffered rows; unless ``force``, only those that complete whole chunks.

        Rows are written from the engine's arrays without concatenating them; only the few rows
        needed to complete a partly filled chunk are copied, so the extra memory stays below one
        row of chunks per variable.
        """
        for var, pending in self.buffers.items():
            if not pending:
                continue
            dset, axis = self.datasets[var], self.axes[var]
            crow = dset.chunks[axis]
            size = dset.shape[axis]
            n_buf = sum(a.shape[axis] for a in pending)
            n_write = n_buf if force else ((size + n_buf) // crow) * crow - size
            if n_write <= 0:
                continue
            dset.resize(size + n_write, axis=axis)
            pos, stop = size, size + n_write
            head = min((-size) % crow, n_write)
            if head:  # complete the partly filled chunk first (a small copy at most)
                pos = self._put(dset, axis, pos, _take(pending, head, axis))
            while pos < stop:
                pos = self._put(dset, axis, pos, _take(pending, min(pending[0].shape[axis], stop - pos), axis))
            self.buffers[var] = [np.array(a, copy=True) for a in pending]

    @staticmethod
    def _put(dset, axis, pos, block):
        n = block.shape[axis]
        dset[(slice(None),) * axis + (slice(pos, pos + n),)] = block.astype(dset.dtype, copy=False)
        return pos + n


def _take(pending, n, axis):
    """Remove the first ``n`` rows (along ``axis``) from the list of arrays ``pending``."""
    parts = []
    while n > 0:
        a = pending[0]
        k = a.shape[axis]
        if k <= n:
            parts.append(pending.pop(0))
            n -= k
        else:
            parts.append(a[(slice(None),) * axis + (slice(0, n),)])
            pending[0] = a[(slice(None),) * axis + (slice(n, None),)]
            n = 0
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)
