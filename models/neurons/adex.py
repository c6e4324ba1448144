"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005)."""
import numpy as np
from brian2 import NeuronGroup, mV, ms, nA, nS, pA, pF

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "PARAMETERS", "INITIAL", "CITATION", "build", "rheobase"]

CITATION = (
    "Brette & Gerstner (2005), 'Adaptive exponential integrate-and-fire model as an effective "
    "description of neuronal activity', J. Neurophysiol. 94:3637 (parameters of their Table 1)."
)

EQUATIONS = """
dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - V_T)/Delta_T) - w + I_ex + I_syn) / C_m : volt (unless refractory)
dw/dt = (a*(v - E_L) - w) / tau_w : amp
dI_syn/dt = -I_syn / tau_syn : amp
I_ex : amp
"""

PARAMETERS = {
    "C_m": 281 * pF,  # membrane capacitance
    "g_L": 30 * nS,  # leak conductance
    "E_L": -70.6 * mV,  # leak reversal
    "V_T": -50.4 * mV,  # threshold slope point
    "Delta_T": 2 * mV,  # slope factor
    "tau_w": 144 * ms,  # adaptation time constant
    "a": 4 * nS,  # subthreshold adaptation
    "b": 0.0805 * nA,  # spike-triggered adaptation
    "V_r": -70.6 * mV,  # reset potential
    "V_cut": -40.4 * mV,  # spike cut-off (V_T + 5 Delta_T)
    "t_ref": 0 * ms,  # refractory period
    "tau_syn": 5 * ms,  # synaptic current decay
}

INITIAL = {"v": -70.6 * mV, "w": 0 * pA, "I_syn": 0 * pA, "I_ex": 0 * pA}


def build(n, *, name=None, method="euler", dt=None, **overrides):
    """Create ``n`` AdEx neurons (parameters: :data:`PARAMETERS`, units checked)."""
    params = resolve_parameters(PARAMETERS, overrides, "adex")
    group = NeuronGroup(
        n, EQUATIONS, threshold="v > V_cut", reset="v = V_r; w += b", refractory="t_ref",
        method=method, namespace=params, dt=dt, name=name or "adex*",
    )
    for var, value in INITIAL.items():
        setattr(group, var, value)
    group.v = params["E_L"]
    return group


def rheobase(params=None):
    """Analytic rheobase current (amp) of the AdEx model for constant input.

    The fixed points of v merge when g_L + a = g_L exp((v - V_T)/Delta_T), i.e. at
    v* = V_T + Delta_T ln(1 + a/g_L); the rheobase is the current that puts a fixed point there:
    I_rh = (g_L + a)(v* - E_L) - g_L Delta_T exp((v* - V_T)/Delta_T).
    """
    p = dict(PARAMETERS, **(params or {}))
    g_L, a = float(p["g_L"]), float(p["a"])
    v_star = float(p["V_T"]) + float(p["Delta_T"]) * np.log(1 + a / g_L)
    return (g_L + a) * (v_star - float(p["E_L"])) - g_L * float(p["Delta_T"]) * (1 + a / g_L)
