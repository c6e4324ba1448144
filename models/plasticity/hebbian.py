"""Rate-based Hebbian rule that writes key->value associations, dW/dt = eta r_pre r_post (paper Eq. 9)."""
from brian2 import NeuronGroup, Synapses, second

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "RATE_EQUATIONS", "PARAMETERS", "CITATION", "build", "rate_group"]

CITATION = (
    "Hebb (1949); the key->value write of Mia, Bal & Sengupta (arXiv 2312.10925) Eq. 9, "
    "H_t = H_(t-1) + (1/m) phi(k_t)^T v_t, and Kozachkov, Kastanenka & Krotov (PNAS 2023)."
)

#: Rates are dimensionless activities (rate/r_unit). Presenting a pair (phi(k), v) for T with
#: eta = 1/(m T) adds exactly (1/m) phi(k)^T v to W.
EQUATIONS = """
dW/dt = eta * a_pre * a_post : 1 (clock-driven)
"""
RATE_EQUATIONS = "a : 1  # activity (rate in units of the reference rate)\n"

PARAMETERS = {
    "eta": 1.0 / second,  # learning rate per unit activity product
}


def rate_group(n, *, name=None, dt=None):
    """A group of ``n`` rate units with activity ``a`` (set it per presentation)."""
    return NeuronGroup(n, RATE_EQUATIONS, dt=dt, name=name or "rate_units*")


def build(pre, post, *, name=None, dt=None, namespace=None, **overrides):
    """Return an unconnected Hebbian Synapses object between two groups that have an activity ``a``.

    ``namespace`` adds names the groups' activities refer to (e.g. TimedArrays).
    """
    for group in (pre, post):
        if "a" not in group.variables:
            raise ValueError(f"hebbian: group {group.name!r} needs an activity variable 'a'")
    params = resolve_parameters(PARAMETERS, overrides, "hebbian")
    return Synapses(pre, post, EQUATIONS, method="euler", namespace=dict(params, **(namespace or {})), dt=dt,
                    name=name or "hebbian*")
