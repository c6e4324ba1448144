"""Gap-junction IP3 diffusion between astrocytes, with Goldberg et al. (2010) regenerative non-linearity."""
import numpy as np
from brian2 import Synapses, second, umolar

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "LINEAR_EQUATIONS", "PARAMETERS", "LINEAR_PARAMETERS", "CITATION", "build", "chain",
           "ring"]

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

#: Linear (Fickian) junction used by Goldberg et al. (2010) as the control: flux proportional to the
#: IP3 difference at every size of it.
LINEAR_EQUATIONS = """
J_coupling_post = -P_gj * delta_I : mmolar/second (summed)
delta_I = I_post - I_pre : mmolar
"""

PARAMETERS = {
    "F": 0.09 * umolar / second,  # maximal junctional IP3 flux (Stimberg 2019 network value)
    "I_Theta": 0.3 * umolar,  # threshold gradient
    "omega_I": 0.05 * umolar,  # sharpness of the threshold
}

#: Linear junction permeability (no published canonical value: a free parameter of the control).
LINEAR_PARAMETERS = {"P_gj": 0.1 / second}

_KINDS = {"nonlinear": (EQUATIONS, PARAMETERS), "linear": (LINEAR_EQUATIONS, LINEAR_PARAMETERS)}


def build(astrocytes, *, name=None, kind="nonlinear", **overrides):
    """Return an (unconnected) gap-junction Synapses object from ``astrocytes`` to themselves.

    ``astrocytes`` must have ``I`` (IP3) and a ``J_coupling`` variable (e.g. :mod:`.gchi`).
    Connect it in both directions (``connect(i=..., j=...)``) for symmetric coupling.
    ``kind``: ``'nonlinear'`` (Goldberg et al. 2010, :data:`PARAMETERS`) or ``'linear'``
    (:data:`LINEAR_EQUATIONS`, :data:`LINEAR_PARAMETERS`).
    """
    if "J_coupling" not in astrocytes.variables or "I" not in astrocytes.variables:
        raise ValueError(f"gap_junction: group {astrocytes.name!r} needs variables 'I' and 'J_coupling'")
    if kind not in _KINDS:
        raise ValueError(f"gap_junction: unknown kind {kind!r}; use one of {', '.join(_KINDS)}")
    equations, defaults = _KINDS[kind]
    params = resolve_parameters(defaults, overrides, f"gap_junction ({kind})")
    return Synapses(astrocytes, astrocytes, equations, namespace=params, name=name or "gap_junction*")


def _connect_neighbours(astrocytes, closed, name, kind, overrides):
    n = len(astrocytes)
    if closed and n < 3:
        raise ValueError(f"gap_junction: a ring needs at least 3 astrocytes, group {astrocytes.name!r} has {n}")
    syn = build(astrocytes, name=name, kind=kind, **overrides)
    left = np.arange(n) if closed else np.arange(n - 1)
    right = (left + 1) % n
    syn.connect(i=np.concatenate([left, right]), j=np.concatenate([right, left]))
    return syn


def chain(astrocytes, *, name=None, kind="nonlinear", **overrides):
    """Gap junctions between neighbours of a 1-D chain (both directions)."""
    return _connect_neighbours(astrocytes, False, name, kind, overrides)


def ring(astrocytes, *, name=None, kind="nonlinear", **overrides):
    """Gap junctions between neighbours of a ring, cell n-1 joined to cell 0 (both directions).

    The topology of Stimberg et al. (2019), Fig. 5.
    """
    return _connect_neighbours(astrocytes, True, name, kind, overrides)
