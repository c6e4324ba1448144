"""Gap-junction IP3 diffusion between astrocytes, with Goldberg et al. (2010) regenerative non-linearity."""
from brian2 import Synapses, umolar, second

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "PARAMETERS", "CITATION", "build", "chain"]

CITATION = (
    "Goldberg, De Pitta, Volman, Berry & Ben-Jacob (2010), 'Nonlinear gap junctions enable long-distance "
    "propagation of pulsating calcium waves in astrocyte networks', PLoS Comput. Biol. 6:e1000909; "
    "Brian form of Stimberg et al. (2019)."
)

#: Flux into the postsynaptic astrocyte, summed over its junctions: IP3 flows down the gradient,
#: strongly only when the difference exceeds I_Theta (omega_I sets the sharpness).
EQUATIONS = """
J_coupling_post = -F/2 * (1 + tanh((abs(delta_I) - I_Theta)/omega_I)) * sign(delta_I) : mmolar/second (summed)
delta_I = I_post - I_pre : mmolar
"""

PARAMETERS = {
    "F": 0.09 * umolar / second,  # maximal junctional IP3 flux (Stimberg 2019 network value)
    "I_Theta": 0.3 * umolar,  # threshold gradient
    "omega_I": 0.05 * umolar,  # sharpness of the threshold
}


def build(astrocytes, *, name=None, **overrides):
    """Return an (unconnected) gap-junction Synapses object from ``astrocytes`` to themselves.

    ``astrocytes`` must have ``I`` (IP3) and a ``J_coupling`` variable (e.g. :mod:`.gchi`).
    Connect it in both directions (``connect(i=..., j=...)``) for symmetric coupling.
    """
    if "J_coupling" not in astrocytes.variables or "I" not in astrocytes.variables:
        raise ValueError(f"gap_junction: group {astrocytes.name!r} needs variables 'I' and 'J_coupling'")
    params = resolve_parameters(PARAMETERS, overrides, "gap_junction")
    return Synapses(astrocytes, astrocytes, EQUATIONS, namespace=params, name=name or "gap_junction*")


def chain(astrocytes, **overrides):
    """Gap junctions between neighbours of a 1-D chain (both directions)."""
    import numpy as np

    n = len(astrocytes)
    syn = build(astrocytes, **overrides)
    i = np.concatenate([np.arange(n - 1), np.arange(1, n)])
    j = np.concatenate([np.arange(1, n), np.arange(n - 1)])
    syn.connect(i=i, j=j)
    return syn
