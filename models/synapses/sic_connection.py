"""NEST's ``sic_connection``: an astrocyte's slow inward current, weighted, summed into a neuron's ``I_SIC``.

NEST 3.10 (``models/sic_connection.h``) sends each astrocyte's SIC value to its target neurons, each
connection scaling it by its weight (pA per unit SIC). Here a Brian2 summed variable does the same:
``I_SIC_post = weight*SIC_pre``, with the astrocyte's ``SIC`` already carrying NEST's delay (see
:mod:`astrosim.models.astrocytes.lr_1994_nest`). ``per_synapse=True`` instead writes the SIC expression
into the synapses, as a first transcription naturally does: the same current without delay, but one
logarithm per connection and step instead of one per astrocyte.
"""
from brian2 import Synapses

from ..astrocytes import lr_1994_nest
from .._params import resolve_parameters

__all__ = ["CITATION", "equations", "build"]

CITATION = "NEST 3.10 sic_connection; SIC of Nadkarni & Jung (2003), Phys. Rev. Lett. 91:268101."

def equations(per_synapse=False):
    """The summed-variable equations; ``weight`` (pA per unit SIC, constant per connection) is NEST's weight
    (NEST's default 1, its astrocyte examples 0.05)."""
    source = lr_1994_nest.SIC_EXPRESSION.replace("Ca_astro", "Ca_astro_pre") if per_synapse else "SIC_pre"
    return f"weight : amp (constant)\nI_SIC_post = weight*{source} : amp (summed)\n"


def build(astrocytes, neurons, *, per_synapse=False, astrocyte_parameters=None, name=None):
    """Return an unconnected ``sic_connection`` Synapses object (set ``weight`` after ``connect``).

    ``astrocyte_parameters`` (overrides of the astrocytes' ``SIC_scale``/``SIC_th``) are only needed
    with ``per_synapse=True``; the astrocytes may then be built with ``sic_delay=None``.
    """
    namespace = {}
    if per_synapse:
        astro = resolve_parameters(lr_1994_nest.PARAMETERS, astrocyte_parameters or {}, "astrocyte_lr_1994")
        namespace.update(SIC_scale=astro["SIC_scale"], SIC_th=astro["SIC_th"])
    elif "SIC" not in astrocytes.variables:
        raise ValueError(f"sic_connection: astrocytes '{astrocytes.name}' have no SIC output; build them "
                         "with a sic_delay, or use per_synapse=True")
    return Synapses(astrocytes, neurons, equations(per_synapse), namespace=namespace,
                    name=name or "sic_connection*")
