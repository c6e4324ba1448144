"""HDF5 input/output: stream monitors while a run goes (`H5Recorder`), `save` Brian2 monitors, `load` files.

Exports (need ``pip install astrosim[export]``): `to_nwb`, `to_neo`, `to_sonata`; `recover` repairs killed runs.
"""
from .export import save
from .layout import FORMAT_NAME, FORMAT_VERSION, H5FormatError
from .neo import to_neo
from .nwb import to_nwb
from .reader import MonitorRecord, Recording
from .reader import load as _load_recording
from .recorder import H5Recorder
from .recover import recover
from .sonata import to_sonata

__all__ = [
    "save",
    "load",
    "H5Recorder",
    "Recording",
    "MonitorRecord",
    "H5FormatError",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "to_neo",
    "to_nwb",
    "to_sonata",
    "recover",
]


def load(path):
    """Open an astrosim HDF5 file (:func:`astrosim.io.reader.load`), or a sweep folder (results over its grid)."""
    from astrosim.sweep import is_sweep_folder  # a sweep folder: astrosim.sweep.load_sweep

    if is_sweep_folder(path):
        from astrosim.sweep import load_sweep

        return load_sweep(path)
    return _load_recording(path)
