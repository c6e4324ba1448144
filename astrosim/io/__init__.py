"""HDF5 input/output: stream monitors while a run goes (`H5Recorder`), `save` Brian2 monitors, `load` files."""
from .export import save
from .layout import FORMAT_NAME, FORMAT_VERSION, H5FormatError
from .reader import MonitorRecord, Recording, load
from .recorder import H5Recorder

__all__ = [
    "save",
    "load",
    "H5Recorder",
    "Recording",
    "MonitorRecord",
    "H5FormatError",
    "FORMAT_NAME",
    "FORMAT_VERSION",
]
