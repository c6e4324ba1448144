"""Conductance-based leaky integrate-and-fire neuron with excitatory and inhibitory synapses."""
from brian2 import NeuronGroup, ms, mV, nS, pA, pF

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "PARAMETERS", "INITIAL", "CITATION", "build", "firing_rate"]

CITATION = (
    "Stimberg, Goodman, Brette & De Pitta (2019), 'Modeling neuron-glia interactions with the Brian 2 "
    "simulator', in Computational Glioscience (Springer), network neurons; after Brunel (2000)."
)

EQUATIONS = """
dv/dt = (g_L*(E_L - v) + g_e*(E_e - v) + g_i*(E_i - v) + I_ex) / C_m : volt (unless refractory)
dg_e/dt = -g_e / tau_e : siemens
dg_i/dt = -g_i / tau_i : siemens
I_ex : amp
"""

PARAMETERS = {
    "C_m": 198 * pF,  # membrane capacitance
    "g_L": 9.99 * nS,  # leak conductance (tau_m = C_m/g_L = 19.8 ms)
    "E_L": -60 * mV,  # leak reversal (rest)
    "V_th": -50 * mV,  # firing threshold
    "V_r": -60 * mV,  # reset potential
    "t_ref": 5 * ms,  # refractory period
    "E_e": 0 * mV,  # excitatory reversal
    "E_i": -80 * mV,  # inhibitory reversal
    "tau_e": 5 * ms,  # excitatory conductance decay
    "tau_i": 10 * ms,  # inhibitory conductance decay
}

INITIAL = {"v": -60 * mV, "g_e": 0 * nS, "g_i": 0 * nS, "I_ex": 0 * pA}


def build(n, *, name=None, method="euler", dt=None, **overrides):
    """Create ``n`` conductance-based LIF neurons (parameters: :data:`PARAMETERS`, units checked)."""
    params = resolve_parameters(PARAMETERS, overrides, "lif_conductance")
    group = NeuronGroup(
        n, EQUATIONS, threshold="v > V_th", reset="v = V_r", refractory="t_ref",
        method=method, namespace=params, dt=dt, name=name or "lif_conductance*",
    )
    for var, value in INITIAL.items():
        setattr(group, var, value)
    group.v = params["E_L"]
    return group


def firing_rate(I_ex, params=None):
    """Analytic firing rate (Hz) for a constant current without synaptic input.

    With tau = C_m/g_L and V_inf = E_L + I_ex/g_L, the time from V_r to V_th is
    tau*ln((V_inf - V_r)/(V_inf - V_th)); the rate is 1/(t_ref + that time), zero below rheobase.
    """
    import numpy as np

    p = dict(PARAMETERS, **(params or {}))
    tau = float(p["C_m"] / p["g_L"])
    v_inf = float(p["E_L"] + I_ex / p["g_L"])
    if v_inf <= float(p["V_th"]):
        return 0.0
    isi = float(p["t_ref"]) + tau * np.log((v_inf - float(p["V_r"])) / (v_inf - float(p["V_th"])))
    return 1.0 / isi
