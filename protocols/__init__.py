"""Runnable biophysical protocols (build network, run, record, summarise); ``PROTOCOLS`` maps name -> module."""
import importlib

__all__ = ["PROTOCOLS", "get"]

#: Protocol names, in the order ``astrosim protocol --list`` shows them.
PROTOCOLS = ("calcium_vs_frequency", "stdp_window", "key_value_write", "gliotransmission",
             "calcium_oscillations", "release_probability", "calcium_wave")


def get(name):
    """Return the protocol module ``name`` (each has NAME, SUMMARY, PARAMETERS, run(), plot())."""
    if name not in PROTOCOLS:
        raise KeyError(f"unknown protocol {name!r}; available: {', '.join(PROTOCOLS)}")
    return importlib.import_module(f"{__name__}.{name}")
