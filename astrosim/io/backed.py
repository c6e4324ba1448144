"""Brian2 monitors answered from an astrosim file: their data is read from disk when first used.

`astrosim run SCRIPT --out run.h5` streams every monitor to the file and keeps nothing in
memory while the run goes; afterwards the script's monitors (``spikes.t``, ``trace.v``,
``len(spikes.i)`` ...) read their values from the file, on first access only.
"""
import h5py
import numpy as np

__all__ = ["FileColumn", "answer_from_file"]


class FileColumn:
    """Stands in for one of Brian2's ``DynamicArray`` objects; ``data`` is read from the file once.

    Parameters
    ----------
    path : str
        The astrosim file (closed by its writer).
    dataset : str
        Path of the dataset inside the file (time-major, as the monitor's own array).
    shape : tuple
        Shape of the stored data.
    dtype : numpy dtype
        The Brian2 variable's dtype (booleans are stored as bytes).
    """

    def __init__(self, path, dataset, shape, dtype, device=None, var=None):
        self.path, self.dataset = path, dataset
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._data = None
        self._device, self._var = device, var

    @property
    def data(self):
        """The values (loaded on first access, kept afterwards)."""
        if self._data is None:
            with h5py.File(self.path, "r") as f:
                self._data = np.asarray(f[self.dataset][()]).astype(self.dtype, copy=False)
        return self._data

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, item):
        return self.data[item]

    def __setitem__(self, item, value):
        self.data[item] = value

    def _materialize(self):
        """Replace this stand-in by a real Brian2 DynamicArray holding the data (to grow it)."""
        from brian2.memory.dynamicarray import DynamicArray, DynamicArray1D

        data = self.data
        arr = DynamicArray1D(len(data), dtype=self.dtype) if data.ndim == 1 else \
            DynamicArray(data.shape, dtype=self.dtype)
        arr[:] = data
        if self._device is not None:
            self._device.arrays[self._var] = arr
        return arr

    def resize(self, newsize):
        self._materialize().resize(newsize)

    def resize_along_first(self, newsize):
        self._materialize().resize_along_first(newsize)


def answer_from_file(path, monitors):
    """Point unbatched Brian2 ``monitors`` (``{name: monitor}``) at their data in the file ``path``.

    Each recorded variable becomes a `FileColumn` and ``N`` the number of stored rows, so the
    monitor behaves as if it had kept its data, without holding it in memory until it is read.
    """
    with h5py.File(path, "r") as f:
        for name, mon in monitors.items():
            if name not in f["monitors"]:
                continue
            group = f["monitors"][name]
            n = int(group["t"].shape[0])
            for var in group:
                if var in ("record", "batch") or var not in mon.variables:
                    continue
                variable = mon.variables[var]
                device = variable.device
                if variable not in device.arrays:
                    continue
                dset = group[var]
                device.arrays[variable] = FileColumn(path, dset.name, dset.shape, variable.dtype,
                                                     device=device, var=variable)
            mon.variables["N"].set_value(n)
