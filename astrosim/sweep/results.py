"""Reading a sweep folder back: every result as an array over the grid axes."""
from pathlib import Path

import numpy as np

from .store import axes_from_record, read_index, read_shard

__all__ = ["SweepResults", "load_sweep"]


def _with_unit(array, dims):
    if not any(dims):
        return array
    from brian2 import Quantity

    from astrosim.io.layout import decode_dimensions

    return Quantity(array, dim=decode_dimensions(dims))


class SweepResults:
    """Results of a sweep: ``res['name']`` has shape ``res.shape + (per-point shape)``.

    Attributes
    ----------
    axes : dict
        ``{name: values}`` in grid order (Brian2 quantities where the axis has a unit).
    shape : tuple
        Points along each axis.
    done : numpy bool array of ``shape``
        Which points have results; the others hold NaN. ``complete`` is ``done.all()``.
    units : dict
        Unit text of each result ('' for plain numbers).
    """

    def __init__(self, path, record, data, units, done, worker_of):
        self.path, self.record = Path(path), record
        self.shape = tuple(record["shape"])
        stored = axes_from_record(record)
        self.axis_names = [name for name, *_ in stored]
        self.axes = {name: _with_unit(values, dims) for name, values, _, dims in stored}
        self.axis_units = {name: unit for name, _, unit, _ in stored}
        self.raw_axes = {name: values for name, values, *_ in stored}
        self._data, self.done, self.worker_of = data, done, worker_of
        self.units = {name: unit for name, (unit, _) in units.items()}
        self._dims = {name: dims for name, (_, dims) in units.items()}

    @property
    def complete(self):
        return bool(self.done.all())

    @property
    def names(self):
        """Result names."""
        return list(self._data)

    @property
    def seed(self):
        return self.record["seed"]

    @property
    def target(self):
        return self.record["target"]

    def raw(self, name):
        """Result ``name`` as a plain float array in its unit's SI base (no Brian2 units)."""
        if name not in self._data:
            raise KeyError(f"{self.path}: no result {name!r}; results: {', '.join(self.names)}")
        return self._data[name]

    def __getitem__(self, name):
        return _with_unit(self.raw(name), self._dims.get(name, [0] * 7))

    def __contains__(self, name):
        return name in self._data

    def keys(self):
        return self.names

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        """Nothing to close (the shards are read at load time); kept so ``with load(...)`` works."""

    def __repr__(self):
        axes = ", ".join(f"{n}[{len(v)}]" for n, v in self.raw_axes.items())
        state = "complete" if self.complete else f"{int(self.done.sum())}/{self.done.size} points done"
        return f"<SweepResults {self.path} ({state}): axes {axes}; results {', '.join(self.names)}>"


def load_sweep(path):
    """Load a sweep folder written by ``astrosim sweep`` / ``astrosim.sweep(...)``.

    Missing points (unfinished tasks) are NaN and ``done`` is False there.
    """
    record = read_index(path)
    shape = tuple(record["shape"])
    n = int(np.prod(shape, dtype=np.int64))
    done = np.zeros(n, dtype=bool)
    worker_of = np.full(n, "", dtype=object)
    pieces, units = {}, {}
    for task in record["tasks"]:
        if not (Path(path) / task["file"]).exists():
            continue
        indices, results, attrs = read_shard(path, task["id"])
        done[indices] = True
        worker_of[indices] = str(attrs.get("worker", ""))
        for name, (array, unit, dims) in results.items():
            pieces.setdefault(name, []).append((indices, array))
            units.setdefault(name, (unit, dims))
    data = {}
    for name, parts in pieces.items():
        ndim = max(a.ndim for _, a in parts) - 1
        trailing = tuple(max(a.shape[1 + d] if a.ndim - 1 == ndim else 1 for _, a in parts) for d in range(ndim))
        full = np.full((n,) + trailing, np.nan)
        for indices, array in parts:
            array = array.reshape((len(indices),) + (1,) * (ndim - (array.ndim - 1)) + array.shape[1:])
            full[(indices,) + tuple(slice(0, k) for k in array.shape[1:])] = array
        data[name] = full.reshape(shape + trailing)
    return SweepResults(path, record, data, units, done.reshape(shape), worker_of.reshape(shape))
