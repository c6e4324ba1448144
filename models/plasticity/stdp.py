"""Pair-based spike-timing-dependent plasticity with exponential traces (all-to-all pairing)."""
import numpy as np
from brian2 import Synapses, ms

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "ON_PRE", "ON_POST", "PARAMETERS", "CITATION", "build", "window"]

CITATION = (
    "Bi & Poo (1998), J. Neurosci. 18:10464; Song, Miller & Abbott (2000), 'Competitive Hebbian learning "
    "through spike-timing-dependent synaptic plasticity', Nat. Neurosci. 3:919 (trace form, A_post = "
    "-1.05 A_pre tau_pre/tau_post)."
)

EQUATIONS = """
w : 1
dapre/dt = -apre / tau_pre : 1 (event-driven)
dapost/dt = -apost / tau_post : 1 (event-driven)
"""
ON_PRE = """
apre += A_pre
w = clip(w + apost, 0, w_max)
"""
ON_POST = """
apost += A_post
w = clip(w + apre, 0, w_max)
"""

PARAMETERS = {
    "tau_pre": 20 * ms,  # presynaptic trace time constant
    "tau_post": 20 * ms,  # postsynaptic trace time constant
    "A_pre": 0.01,  # potentiation amplitude (fraction of w_max)
    "A_post": -0.0105,  # depression amplitude (-1.05 A_pre tau_pre/tau_post)
    "w_max": 1.0,  # upper bound of w
}


def build(source, target, *, effect="", name=None, dt=None, **overrides):
    """Return an unconnected STDP Synapses object; ``effect`` is appended to ``on_pre`` (e.g. ``'v_post += w*mV'``)."""
    params = resolve_parameters(PARAMETERS, overrides, "stdp")
    on_pre = ON_PRE + ("\n" + effect if effect else "")
    return Synapses(source, target, EQUATIONS, on_pre=on_pre, on_post=ON_POST, namespace=params, dt=dt,
                    method="exact", name=name or "stdp*")


def window(delta_t, params=None):
    """Analytic weight change for one pre/post pair, ``delta_t = t_post - t_pre`` (seconds), away from bounds."""
    p = dict(PARAMETERS, **(params or {}))
    delta_t = np.asarray(delta_t, dtype=float)
    return np.where(delta_t > 0, p["A_pre"] * np.exp(-delta_t / float(p["tau_pre"])),
                    p["A_post"] * np.exp(delta_t / float(p["tau_post"])))
