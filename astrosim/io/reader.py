"""`load`: lazy reader of astrosim HDF5 files, giving Brian2 quantities and the run metadata."""
import json
import os

import h5py
import numpy as np

from .layout import FORMAT_NAME, FORMAT_VERSION, H5FormatError, decode_dimensions

__all__ = ["load", "Recording", "MonitorRecord", "to_quantity"]


def to_quantity(values, dset):
    """Attach the unit stored on ``dset`` to ``values`` (plain array when dimensionless)."""
    from brian2 import Quantity

    dtype = dset.attrs.get("dtype")
    if dtype == "bool":
        values = np.asarray(values).astype(bool)
    dims = dset.attrs.get("dimensions")
    if dims is None or not np.any(dims):
        return values
    return Quantity(values, dim=decode_dimensions(dims))


def _attr(value):
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _bisect(dset, value, side="left", n=None):
    """Index where ``value`` would go in the sorted 1-d dataset (its first ``n`` elements),
    reading O(log n) elements."""
    lo, hi = 0, dset.shape[0] if n is None else n
    while lo < hi:
        mid = (lo + hi) // 2
        x = dset[mid]
        if x < value or (side == "right" and x == value):
            lo = mid + 1
        else:
            hi = mid
    return lo


class MonitorRecord:
    """One stored monitor. Variables are read on access (``rec.v``, ``rec.t``) or sliced with `read`.

    Attribute access mirrors Brian2 monitors: ``state.v`` has shape ``(n_recorded, n_times)``
    (``(batch, n_recorded, n_times)`` when batched); spikes give flat ``t``/``i``.
    """

    def __init__(self, group, t_complete=None):
        self._group = group
        self._t_complete = t_complete
        self._n_rows = None
        self.name = group.name.rsplit("/", 1)[-1]
        attrs = {k: _attr(v) for k, v in group.attrs.items()}
        self.kind = attrs["kind"]
        self.source = attrs.get("source")
        self.source_size = attrs.get("source_size")
        self.batch_size = int(attrs.get("batch", 0))
        self.dt = attrs.get("dt")
        self.attrs = attrs
        present = [k for k in group.keys() if k != "record"]
        order = attrs.get("variables") if isinstance(attrs.get("variables"), list) else []
        self.variables = [v for v in order if v in present] + [v for v in present if v not in order]

    @property
    def record(self):
        """Indices of the recorded elements (state monitors)."""
        return self._group["record"][()] if "record" in self._group else None

    def dataset_record_shape(self):
        """Shape of the ``record`` index dataset (state monitors)."""
        return self._group["record"].shape if "record" in self._group else None

    def dataset(self, var):
        """The raw h5py dataset of ``var`` (lazy; time-major on disk)."""
        if var not in self.variables:
            raise KeyError(f"monitor '{self.name}' has no variable '{var}' (has {', '.join(self.variables)})")
        return self._group[var]

    def unit(self, var):
        """Stored unit name of ``var`` (e.g. ``'V'``; ``'1'`` when dimensionless)."""
        return str(_attr(self.dataset(var).attrs.get("unit", "1")))

    def __len__(self):
        return self._rows()

    @property
    def time_sorted(self):
        """Whether rows are in time order (state and rate always; events as they were written)."""
        return self.kind not in ("spikes", "events") or self.attrs.get("sorting", "by_time") == "by_time"

    def _time_axis(self, dset):
        return 1 if dset.ndim == 3 or (self.kind == "rate" and dset.ndim == 2) else 0

    def _rows(self):
        """Rows every variable holds in full.

        A writer killed between two flushes can leave one dataset longer than another, and rows
        past the file's ``t_complete`` that were never filled; neither is read.
        """
        if self._n_rows is None:
            n = min(self._group[v].shape[self._time_axis(self._group[v])] for v in self.variables) \
                if self.variables else 0
            if self._t_complete is not None and self.time_sorted and n:
                cut = self._t_complete - 0.5 * float(self.dt or 0.0)
                t = self._group["t"]
                if t[n - 1] >= cut:
                    n = _bisect(t, cut, n=n)
            self._n_rows = int(n)
        return self._n_rows

    def _time_range(self, t_start, t_stop):
        n = self._rows()
        if not self.time_sorted:
            return slice(0, n)
        t = self._group["t"]
        lo = 0 if t_start is None else _bisect(t, float(t_start), n=n)
        hi = n if t_stop is None else _bisect(t, float(t_stop), n=n)
        return slice(lo, hi)

    def read(self, var, t_start=None, t_stop=None, indices=None):
        """Read ``var`` for ``t_start <= t < t_stop`` (seconds or quantities) and some recorded elements.

        ``indices`` are positions among the recorded elements (state monitors) or neuron indices
        (spike monitors: only their spikes are returned). State results have Brian2's orientation
        ``(n_indices, n_times)``.

        Raises
        ------
        H5FormatError
            If the stored data cannot be read (a damaged or truncated file).
        """
        try:
            return self._read(var, t_start, t_stop, indices)
        except OSError as err:
            raise H5FormatError(
                f"{self._group.file.filename}: cannot read '{self.name}/{var}': the file is damaged "
                f"or truncated ({err})"
            ) from None

    def _read(self, var, t_start, t_stop, indices):
        t_start = None if t_start is None else float(t_start)
        t_stop = None if t_stop is None else float(t_stop)
        dset = self.dataset(var)
        window = self._time_range(t_start, t_stop)
        if self.kind in ("spikes", "events"):
            if not self.time_sorted:
                t = self._group["t"][window]
                keep = np.ones(t.shape, bool)
                if t_start is not None:
                    keep &= t >= t_start
                if t_stop is not None:
                    keep &= t < t_stop
                values = dset[window][keep]
                i = self._group["i"][window][keep]
            else:
                values, i = dset[window], self._group["i"][window]
            if indices is not None:
                values = values[np.isin(i, np.asarray(indices))]
            return to_quantity(values, dset)
        if var == "t":
            return to_quantity(dset[window], dset)
        time_axis = self._time_axis(dset)
        sel = [slice(None)] * dset.ndim
        sel[time_axis] = window
        if indices is not None and self.kind == "state":
            idx = np.atleast_1d(np.asarray(indices))
            order = np.argsort(idx)
            sel[-1] = idx[order]
            values = dset[tuple(sel)][..., np.argsort(order)]
        else:
            values = dset[tuple(sel)]
        if self.kind == "state":
            values = np.swapaxes(values, -1, -2)
        return to_quantity(values, dset)

    def __getattr__(self, var):
        if var.startswith("_"):
            raise AttributeError(var)
        if var in self.__dict__.get("variables", ()):
            return self.read(var)
        raise AttributeError(f"monitor '{self.name}' has no variable '{var}'")

    def __repr__(self):
        return f"<MonitorRecord '{self.name}' ({self.kind} of '{self.source}'): {', '.join(self.variables)}>"


def _read_parameters(table):
    """``{name: quantity}`` from the ``/metadata/parameters`` table."""
    from brian2 import Quantity

    out = {}
    if "name" not in table:
        return out
    names = table["name"].asstr()[()]
    values = table["value"][()]
    dims = table["dimensions"][()]
    for name, value, dim in zip(names, values, dims):
        out[str(name)] = Quantity(value, dim=decode_dimensions(dim)) if np.any(dim) else float(value)
    return out


def _read_metadata(group):
    out = {k: _attr(v) for k, v in group.attrs.items()}
    for key, item in group.items():
        if key == "parameters" and isinstance(item, h5py.Group) and group.name == "/metadata":
            out[key] = _read_parameters(item)
            continue
        if isinstance(item, h5py.Group):
            out[key] = _read_metadata(item)
        elif item.dtype.kind == "O" or h5py.check_string_dtype(item.dtype):
            out[key] = item.asstr()[()]
        else:
            out[key] = to_quantity(item[()], item)
    return out


class Recording:
    """An open astrosim file: ``rec['monitor name']``, ``rec.metadata``, ``rec.complete``, ``rec.status``."""

    def __init__(self, path, handle, swmr_fallback=False):
        self.path = path
        self._file = handle
        attrs = handle.attrs
        self.format_version = int(attrs["format_version"])
        self.complete = bool(attrs.get("complete", False))
        status = _attr(attrs.get("status"))
        #: 'running' (being written, or its writer was killed), 'complete', 'interrupted', 'failed';
        #: files of older versions without the attribute: 'complete' or 'unknown'
        self.status = str(status) if status else ("complete" if self.complete else "unknown")
        #: one line: why the run is not complete ('' when it is)
        self.status_reason = str(_attr(attrs.get("status_reason")) or "")
        t_complete = attrs.get("t_complete")
        #: simulated time (s) up to which every dataset is complete (None if not recorded)
        self.t_complete = None if t_complete is None else float(t_complete)
        self.writer_not_closed = swmr_fallback
        self.created = _attr(attrs.get("created"))
        self._metadata = None
        cut = None if self.status == "complete" else self.t_complete
        self.monitors = {name: MonitorRecord(g, cut) for name, g in handle["monitors"].items()}

    @property
    def parameters(self):
        """Model parameters ``{name: quantity}`` (scalars from the table, plus array-valued ones)."""
        params = dict(self.metadata.get("parameters") or {})
        params.update(self.metadata.get("parameter_arrays") or {})
        return params

    @property
    def metadata(self):
        """Run metadata as a nested dict (versions, seed, clocks, model text, parameters as quantities)."""
        if self._metadata is None:
            try:
                self._metadata = _read_metadata(self._file["metadata"]) if "metadata" in self._file else {}
            except (OSError, KeyError) as err:
                raise H5FormatError(f"{self.path}: cannot read /metadata: damaged file ({err})") from None
        return self._metadata

    @property
    def file(self):
        """The underlying open h5py.File."""
        return self._file

    def __getitem__(self, name):
        try:
            return self.monitors[name]
        except KeyError:
            raise KeyError(f"{self.path} has no monitor '{name}' (has {', '.join(self.monitors) or 'none'})") from None

    def __contains__(self, name):
        return name in self.monitors

    def keys(self):
        """Names of the stored monitors."""
        return self.monitors.keys()

    def by_kind(self, kind):
        """Monitors of one kind (``'spikes'``, ``'events'``, ``'state'``, ``'rate'``)."""
        return [m for m in self.monitors.values() if m.kind == kind]

    def close(self):
        """Close the file."""
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "complete" if self.complete else "INCOMPLETE"
        return f"<Recording {self.path} (format {self.format_version}, {state}): {', '.join(self.monitors)}>"


def _open(path):
    try:
        return h5py.File(path, "r"), False
    except OSError as err:
        if "already open for write" in str(err):
            # a writer is still running, or was killed: open it the way an SWMR reader does
            try:
                return h5py.File(path, "r", swmr=True), True
            except OSError as err2:
                err = err2
        raise H5FormatError(f"{path}: cannot open as HDF5: the file is truncated or damaged ({err})") from None


def load(path):
    """Open an astrosim HDF5 file lazily (only attributes are read until data is accessed).

    Returns
    -------
    Recording
        Use ``rec['name'].t``, ``rec['name'].v`` (Brian2 quantities), ``rec['name'].read(...)``,
        ``rec.metadata``; ``rec.complete`` is False for runs that did not finish (or were killed).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    H5FormatError
        If the file is not HDF5, is truncated, was not written by astrosim, or has a newer format.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.getsize(path) == 0 or not h5py.is_hdf5(path):
        raise H5FormatError(f"{path}: not an HDF5 file (empty, truncated at the start, or another format)")
    handle, fallback = _open(path)
    try:
        fmt = _attr(handle.attrs.get("format"))
        if fmt != FORMAT_NAME:
            raise H5FormatError(
                f"{path}: an HDF5 file, but not an astrosim recording (root attribute 'format' is "
                f"{fmt!r}, expected {FORMAT_NAME!r})"
            )
        version = int(handle.attrs.get("format_version", -1))
        if version < 1 or version > FORMAT_VERSION:
            raise H5FormatError(
                f"{path}: format_version {version} is not supported by this astrosim "
                f"(reads 1..{FORMAT_VERSION}); upgrade astrosim"
            )
        if "monitors" not in handle:
            raise H5FormatError(f"{path}: astrosim file without a /monitors group (damaged)")
        return Recording(path, handle, fallback)
    except H5FormatError:
        handle.close()
        raise
    except (OSError, KeyError, ValueError) as err:
        handle.close()
        raise H5FormatError(f"{path}: damaged astrosim file ({err})") from None
