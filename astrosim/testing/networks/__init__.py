"""Brian2 network builders shared by the engine tests and the engine benchmark.

Each builder creates its objects in the current Brian2 scope and returns a *namespace*:
a dict holding the model constants and the Brian2 objects by name, as a script's module
namespace would. :func:`run_in_namespace` then runs it with ``brian2.run`` or
``astrosim.run``, both of which collect their objects from the calling frame.
"""
from .neurons import build_coba, build_cuba, build_cobahh, build_hh_if_curve
from .glia import build_gchi_astrocytes, build_io_synapse, build_synrel, build_coba_with_astro
from .brunel import build_brunel
from .runner import run_in_namespace

__all__ = [
    "build_coba", "build_cuba", "build_cobahh", "build_hh_if_curve", "build_gchi_astrocytes", "build_io_synapse",
    "build_synrel", "build_coba_with_astro", "build_brunel", "run_in_namespace",
]
