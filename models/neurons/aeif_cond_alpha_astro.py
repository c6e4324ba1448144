"""NEST's ``aeif_cond_alpha_astro`` as Brian2 equations: AdEx with alpha conductances and a SIC input.

A transcription of NEST 3.10's model (``models/aeif_cond_alpha_astro.{h,cpp}``): adaptive exponential
integrate-and-fire (Brette & Gerstner 2005) with alpha-shaped excitatory and inhibitory conductances
(each an impulse into ``dg_*``, which drives ``g_*``), and the slow inward current ``I_SIC`` from
astrocytes (summed by ``sic_connection``). As in NEST the right-hand side uses the membrane potential
bounded above by ``V_peak``, a spike is ``V_m >= V_peak`` after a step, and the reset sets
``V_m = V_reset`` and adds ``b`` to ``w``. An input spike of weight W (nS) adds ``W*e/tau_syn`` to
``dg_ex`` (W > 0) or ``|W|*e/tau_syn_in`` to ``dg_in`` (W < 0), after the step in which it arrives.

Integration: NEST steps this model with GSL's adaptive Fehlberg pair, which splits a step near a spike's
upswing, detects the spike at the sub-step and integrates the rest of the step from ``V_reset``. A
fixed step cannot do this: the fixed-step :data:`~astrosim.models.integrators.rkf45` (NEST's step
without the splitting) diverges at the upswing (its fifth-order weights are not all positive; NEST at
the same fixed step, with ``gsl_error_tol`` set very large, stops with ``NumericalInstability``).
The default here is ``rk4``, whose positive weights carry the upswing past ``V_peak`` within the step.
Below threshold both agree with NEST to rounding or truncation (about 1e-12 at dt = 0.1 ms); spike
times agree to a step at the first spike and then fall behind NEST by about half a step per spike
(NEST's mid-step reset), see docs/models.md. ``Delta_T = 0`` (NEST's IAF limit) is refused.
``t_ref > 0`` uses Brian2's refractoriness, which clamps the same steps as NEST's counter but was not
compared with NEST.
"""
import numpy as np
from brian2 import NeuronGroup, mV, ms, nS, pA, pF

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "PARAMETERS", "INITIAL", "CITATION", "THRESHOLD", "RESET", "build",
           "spike_input"]

CITATION = (
    "NEST 3.10 aeif_cond_alpha_astro (NEST Initiative); Brette & Gerstner (2005), J. Neurophysiol. "
    "94:3637; SIC input of Nadkarni & Jung (2003)."
)

#: ``V`` is NEST's bounded potential min(V_m, V_peak) used in the right-hand side.
EQUATIONS = """
dV_m/dt = (-g_L*(V - E_L) + g_L*Delta_T*exp((V - V_th)/Delta_T) - g_ex*(V - E_ex) - g_in*(V - E_in)
           - w + I_e + I_SIC)/C_m : volt (unless refractory)
V = clip(V_m, -inf*mV, V_peak) : volt
ddg_ex/dt = -dg_ex/tau_syn_ex : siemens/second
dg_ex/dt = dg_ex - g_ex/tau_syn_ex : siemens
ddg_in/dt = -dg_in/tau_syn_in : siemens/second
dg_in/dt = dg_in - g_in/tau_syn_in : siemens
dw/dt = (a*(V - E_L) - w)/tau_w : amp
I_SIC : amp
"""

THRESHOLD = "V_m >= V_peak"
RESET = "V_m = V_reset\nw += b"

#: NEST 3.10 defaults (NEST units).
PARAMETERS = {
    "V_peak": 0.0 * mV,  # spike detection threshold
    "V_reset": -60.0 * mV,  # reset potential
    "t_ref": 0.0 * ms,  # refractory period
    "g_L": 30.0 * nS,  # leak conductance
    "C_m": 281.0 * pF,  # membrane capacitance
    "E_ex": 0.0 * mV,  # excitatory reversal potential
    "E_in": -85.0 * mV,  # inhibitory reversal potential
    "E_L": -70.6 * mV,  # leak reversal potential
    "Delta_T": 2.0 * mV,  # slope factor
    "tau_w": 144.0 * ms,  # adaptation time constant
    "a": 4.0 * nS,  # subthreshold adaptation
    "b": 80.5 * pA,  # spike-triggered adaptation
    "V_th": -50.4 * mV,  # spike initiation threshold
    "tau_syn_ex": 0.2 * ms,  # excitatory conductance time constant (rise = decay)
    "tau_syn_in": 2.0 * ms,  # inhibitory conductance time constant
    "I_e": 0.0 * pA,  # constant input current
}

#: NEST's initial state: V_m = E_L (set in :func:`build`), all else 0.
INITIAL = {"g_ex": 0 * nS, "dg_ex": 0 * nS / ms, "g_in": 0 * nS, "dg_in": 0 * nS / ms, "w": 0 * pA}


def build(n, *, name=None, method="rk4", dt=None, **overrides):
    """Create ``n`` NEST ``aeif_cond_alpha_astro`` neurons (parameters: :data:`PARAMETERS`, NEST names).

    The group's ``I_SIC`` is the target of :func:`astrosim.models.synapses.sic_connection.build`.
    """
    params = resolve_parameters(PARAMETERS, overrides, "aeif_cond_alpha_astro")
    if not params["Delta_T"] > 0 * mV:
        raise ValueError("aeif_cond_alpha_astro: Delta_T must be positive here (NEST's Delta_T = 0 "
                         "integrate-and-fire limit is not transcribed)")
    if not params["V_reset"] < params["V_peak"] or params["V_peak"] < params["V_th"]:
        raise ValueError("aeif_cond_alpha_astro: need V_reset < V_peak and V_th <= V_peak")
    if params["tau_syn_ex"] <= 0 * ms or params["tau_syn_in"] <= 0 * ms or params["tau_w"] <= 0 * ms:
        raise ValueError("aeif_cond_alpha_astro: tau_syn_ex, tau_syn_in and tau_w must be positive")
    group = NeuronGroup(n, EQUATIONS, threshold=THRESHOLD, reset=RESET, refractory="t_ref",
                        method=method, namespace=params, dt=dt, name=name or "aeif_cond_alpha_astro*")
    group.V_m = params["E_L"]
    for var, value in INITIAL.items():
        setattr(group, var, value)
    return group


def spike_input(amount, sign=+1, **overrides):
    """``(statement, namespace)`` for a synapse's ``on_pre``: one input of weight ``amount`` (in nS).

    ``sign=+1`` feeds the excitatory conductance, ``-1`` the inhibitory one with ``|amount|``
    (NEST routes by the sign of the weight; here the synapse knows its kind). The namespace holds the
    alpha normalisation ``e/tau_syn`` of the neuron parameters ``overrides``.
    """
    params = resolve_parameters(PARAMETERS, overrides, "aeif_cond_alpha_astro")
    if sign > 0:
        return f"dg_ex_post += ({amount})*g0_ex", {"g0_ex": np.e / params["tau_syn_ex"]}
    return f"dg_in_post += abs({amount})*g0_in", {"g0_in": np.e / params["tau_syn_in"]}
