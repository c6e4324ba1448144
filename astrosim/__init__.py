"""astrosim: run Brian2 neuron-synapse-astrocyte networks in compiled numba code.

The simulator API (``run``, ``Simulator``, ``run_script``) is imported lazily so that
``import astrosim`` stays cheap for the PyTorch side and the command line.
"""
__version__ = "0.1.0"

_LAZY = {
    "run": ("astrosim.engine", "run"),
    "Simulator": ("astrosim.engine", "Simulator"),
    "run_script": ("astrosim.engine", "run_script"),
    "EngineOptions": ("astrosim.engine.options", "EngineOptions"),
}

__all__ = ["__version__", "sweep", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name == "sweep":  # a callable package: astrosim.sweep(protocol_or_build, grid, out=...)
        import importlib

        return importlib.import_module("astrosim.sweep")
    raise AttributeError(f"module 'astrosim' has no attribute {name!r}")


def _register_device_if_brian2_loaded():
    """Make ``set_device('astrosim')`` available once Brian2 is imported anyway (cheap then)."""
    import sys

    if "brian2" in sys.modules:
        import importlib

        importlib.import_module("astrosim.engine")


_register_device_if_brian2_loaded()
