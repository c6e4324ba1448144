"""Constants and helpers of the astrosim HDF5 layout (format version 1, see docs/hdf5-format.md)."""
import numpy as np

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "H5FormatError",
    "encode_unit",
    "decode_dimensions",
    "unit_name",
    "state_chunks",
    "series_chunks",
    "SERIES_CHUNK",
]

FORMAT_NAME = "astrosim-hdf5"
FORMAT_VERSION = 1

#: rows per chunk of the 1-d datasets (spike times/indices, sample times, rates)
SERIES_CHUNK = 8192
#: target size in bytes of one chunk of a 2-d/3-d state dataset
STATE_CHUNK_BYTES = 256 * 1024
#: recorded elements per chunk along the neuron axis (bounds per-neuron read cost)
NEURON_CHUNK = 128
#: bytes of one time-chunk across all recorded elements (the writer buffers this much per variable)
ROW_BUFFER_BYTES = 4 * 1024 * 1024


class H5FormatError(ValueError):
    """A file is not a readable astrosim HDF5 file (foreign, truncated or newer format)."""


def encode_unit(dim):
    """Return ``(unit_name, dimensions)`` attributes for a Brian2 dimension (or None)."""
    if dim is None:
        return "1", np.zeros(7, dtype=np.int8)
    exponents = np.asarray(dim._dims, dtype=float)
    if not np.all(exponents == np.round(exponents)):
        raise ValueError(f"cannot store fractional unit exponents {exponents!r}")
    return unit_name(dim), exponents.astype(np.int8)


def unit_name(dim):
    """Human-readable SI name of a dimension (``'V'``, ``'mM'``, ``'Hz'``; ``'1'`` if none)."""
    from brian2 import Quantity, get_unit

    if dim is None or all(e == 0 for e in dim._dims):
        return "1"
    unit = get_unit(dim)
    if float(unit) == 1.0:
        return str(unit)
    return str(Quantity(1, dim=dim).dim)


def decode_dimensions(exponents):
    """Brian2 Dimension from the stored exponents (m, kg, s, A, K, mol, cd)."""
    from brian2.units.fundamentalunits import get_or_create_dimension

    return get_or_create_dimension(tuple(float(e) for e in exponents))


def series_chunks():
    """Chunk shape of the growable 1-d datasets."""
    return (SERIES_CHUNK,)


def state_chunks(n_record, itemsize, batch=0):
    """Chunk shape of a state dataset ``(time, neuron)`` or ``(batch, time, neuron)``.

    Chunks hold at most ``NEURON_CHUNK`` neurons and about ``STATE_CHUNK_BYTES``, so both a
    time slice (all neurons) and a whole trace of one neuron touch few bytes they do not need.
    """
    n_col = max(1, min(int(n_record), NEURON_CHUNK))
    rows = STATE_CHUNK_BYTES // (max(1, itemsize) * n_col)
    rows = min(rows, ROW_BUFFER_BYTES // (max(1, itemsize) * max(1, int(n_record))))
    rows = int(max(16, min(rows, 4096)))
    if batch:
        return (1, rows, n_col)
    return (rows, n_col)
