"""HDF5 input/output: stream monitors while a run goes (`H5Recorder`), `save` Brian2 monitors, `load` files.

Exports (need ``pip install astrosim[export]``): `to_nwb`, `to_neo`, `to_sonata`; `recover` repairs killed runs.
"""
from .export import save
from .layout import FORMAT_NAME, FORMAT_VERSION, H5FormatError
from .neo import to_neo
from .nwb import to_nwb
from .reader import MonitorRecord, Recording, load
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
