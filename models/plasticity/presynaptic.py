"""Astrocyte-mediated presynaptic plasticity: a trace accumulating presynaptic activity, read out sublinearly (paper Eqs. 13-14)."""
from brian2 import NeuronGroup, Synapses, second

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "PARAMETERS", "CITATION", "build", "build_coupling"]

CITATION = (
    "Mia, Bal & Sengupta (arXiv 2312.10925) Eqs. 13-14: g_t = g_(t-1) + phi(k_t), g = (sum_t phi(k_t))^alpha "
    "with alpha = 0.25, motivated by the sublinear Ca2+-frequency curve of the AN model (their Fig. 3)."
)

#: One astrocytic compartment per presynaptic (hidden) neuron: ``g`` integrates the activity it
#: receives (1/T_token per unit activity, so a token presented for T_token adds phi(k_t));
#: ``g_alpha`` is the sublinear calcium-like readout that scales presynaptic efficacy.
EQUATIONS = """
dg/dt = a_in / T_token : 1
g_alpha = g**alpha : 1
a_in : 1
"""

PARAMETERS = {
    "T_token": 0.1 * second,  # presentation time of one token
    "alpha": 0.25,  # sublinear exponent (paper: 0.25)
}


def build(n, *, name=None, dt=None, **overrides):
    """Create ``n`` astrocytic compartments with trace ``g`` and readout ``g_alpha``."""
    params = resolve_parameters(PARAMETERS, overrides, "presynaptic")
    if params["alpha"] < 0:
        raise ValueError(f"presynaptic: alpha must be >= 0, got {params['alpha']}")
    return NeuronGroup(n, EQUATIONS, method="euler", namespace=params, dt=dt, name=name or "astro_trace*")


def build_coupling(pre, compartments, *, name=None, dt=None, namespace=None):
    """Summed coupling from presynaptic rate units (variable ``a``) to the compartments' input ``a_in``.

    ``namespace`` must hold whatever ``pre``'s ``a`` refers to (e.g. a TimedArray).
    """
    return Synapses(pre, compartments, "a_in_post = a_pre : 1 (summed)", dt=dt, namespace=namespace,
                    name=name or "astro_trace_in*")
