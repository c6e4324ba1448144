"""The astrocyte-neuron (AN) model of Wade et al. as parameterised by the Sengupta lab (paper Fig. 3).

Presynaptic Poisson neurons -> stochastic synapses (release probability PR) -> passive LIF
neurons (paper Eq. 6) that release 2-AG when they fire. 2-AG depresses release directly (DSE)
and drives astrocytic IP3; Li-Rinzel Ca2+ above a threshold releases glutamate, which
potentiates release (eSP) and gives a slow inward current (SIC) to the neurons:

    PR = clip(PR0 * (1 + (DSE + eSP)/100), 0, 1),  DSE = K_AG * AG,  tau_eSP deSP/dt = -eSP + m_eSP Glu

One astrocyte serves ``neurons_per_astrocyte`` neurons with ``synapses_per_neuron`` input
synapses each; :func:`build` makes ``n_astrocytes`` independent copies of that unit, so a
frequency sweep can run as one network (one copy per frequency) or on the engine's batch axis.
"""
from types import SimpleNamespace

import numpy as np
from brian2 import Hz, NeuronGroup, Synapses, Gohm, mV, ms, pA, second, umolar

from ._params import resolve_parameters
from .astrocytes.li_rinzel import CORE_EQUATIONS
from .neurons import lif_passive

__all__ = ["PARAMETERS", "ASTROCYTE_EQUATIONS", "NEURON_EQUATIONS", "SYNAPSE_MODEL", "INITIAL", "CITATION",
           "build"]

CITATION = (
    "Wade, McDaid, Harkin, Crunelli & Kelso (2011), 'Bidirectional coupling between astrocytes and neurons "
    "mediates learning and dynamic coordination in the brain', PLoS ONE 6:e29445; parameter set and "
    "discretisation of Han, Islam & Sengupta (AAAI 2023) code (NeuroCompLab-psu/Astromorphic_Self_Repair), "
    "the model behind Fig. 3 of Mia, Bal & Sengupta (arXiv 2312.10925); SIC of Nadkarni & Jung (2003)."
)

#: Astrocyte: IP3 relaxes to IP3* and is produced by the summed 2-AG of its neurons (AG_in);
#: Li-Rinzel Ca2+ (shared core); glutamate released in pulses while Ca2+ >= theta_Ca (or for ever
#: after the first crossing when glu_latch = 1, as the lab's code does); eSP low-passes glutamate;
#: SIC = sic_gain * ln(C/nM - 196.69) above 1 nM-equivalent (Nadkarni & Jung 2003), else 0.
ASTROCYTE_EQUATIONS = CORE_EQUATIONS + """
dI/dt = (IP3_star - I)/tau_IP3 + r_IP3*AG_in : mmolar
dGlu/dt = -Glu/tau_Glu : mmolar
deSP/dt = (m_eSP*Glu/umolar - eSP)/tau_eSP : 1
I_SIC_out = sic_gain * log(clip(C/nmolar - 196.69, 1, 1e12)) : amp
AG_in : mmolar
glu_latched : 1
t_next_glu : second
"""
ASTROCYTE_THRESHOLD = "(C >= theta_Ca or glu_latched > 0.5) and t >= t_next_glu"
ASTROCYTE_RESET = "Glu += r_Glu*t_pulse\nt_next_glu = t + glu_period\nglu_latched = glu_latch"

#: Extra neuron state on top of the passive LIF: 2-AG (per-spike increment r_AG*t_pulse), DSE, and
#: the astrocyte's eSP copied in (summed over the single astrocyte a neuron belongs to), and the
#: release modulation 1 + (DSE + eSP)/100 (record it here: Brian2 cannot record the synaptic PR).
NEURON_EQUATIONS = """
dAG/dt = -AG/tau_AG : mmolar
DSE = K_AG*AG/umolar : 1
modulation = 1 + (DSE + eSP)/100 : 1
eSP : 1
"""
NEURON_RESET = "AG += r_AG*t_pulse"

#: Stochastic synapse: each presynaptic spike releases with probability PR and injects I_inj for
#: one pulse (t_pulse), i.e. jumps v by R_m*I_inj*t_pulse/tau_m (Eq. 6 over a short pulse).
#: Inputs arriving while the neuron is refractory are lost, as in the lab's code.
SYNAPSE_MODEL = """
PR0 : 1 (constant)
PR = clip(PR0*modulation_post, 0, 1) : 1
n_release : 1
"""
SYNAPSE_ON_PRE = """
released = int(rand() < PR) * int(not_refractory_post)
v_post += R_m*I_inj*t_pulse/tau_m * released
n_release += released
"""

PARAMETERS = {
    # astrocyte (Han, Islam & Sengupta code)
    "IP3_star": 0.16 * umolar,  # IP3 baseline
    "r_IP3": 0.5 / second,  # IP3 production per uM of summed 2-AG
    "tau_IP3": 7 * second,  # IP3 degradation
    "r_AG": 0.8 * umolar / second,  # 2-AG production (applied for one pulse per postsynaptic spike)
    "tau_AG": 10 * second,  # 2-AG decay
    "r_Glu": 10 * umolar / second,  # glutamate production (one pulse per glu_period)
    "tau_Glu": 0.1 * second,  # glutamate decay
    "glu_period": 300 * ms,  # interval between glutamate pulses while active
    "glu_latch": 0.0,  # 1: keep releasing after the first crossing (lab code); 0: only while C >= theta
    "tau_eSP": 40 * second,  # eSP time constant
    "m_eSP": 55e3,  # eSP weight
    "theta_Ca": 0.3 * umolar,  # glutamate release threshold
    "K_AG": -1000.0,  # DSE scaling (per uM of 2-AG)
    "sic_gain": 1 * pA,  # SIC prefactor (Nadkarni-Jung form; subthreshold at this value)
    # Li-Rinzel core (lab values: v_ER = 0.8 uM/s, k_ER = 0.1 uM)
    "a2": 0.2 / (umolar * second), "v1": 6 / second, "v2": 0.11 / second, "c0": 2 * umolar, "c1": 0.185,
    "v3": 0.8 * umolar / second, "k3": 0.1 * umolar,
    "d1": 0.13 * umolar, "d2": 1.049 * umolar, "d3": 0.9434 * umolar, "d5": 0.08234 * umolar,
    # neuron and synapse
    "v_th": 9 * mV, "R_m": 1.2 * Gohm, "tau_m": 0.06 * second, "t_ref": 2 * ms, "v_reset": 0 * mV,
    "tau_syn": 2 * ms,
    "I_inj": 6650 * pA,  # current injected by one successful release
    "t_pulse": 1 * ms,  # duration of a release current / 2-AG / glutamate pulse (lab dt)
    "PR0": 0.3,  # resting release probability
}

INITIAL = {"C": 0.071006 * umolar, "h": 0.7791, "I": 0.16 * umolar}


#: Time step of the lab's code (forward Euler); :func:`build` uses it unless told otherwise.
DEFAULT_DT = 1 * ms


def build(n_astrocytes=1, *, neurons_per_astrocyte=2, synapses_per_neuron=10, rate=5 * Hz, dt=DEFAULT_DT,
          method="euler", **overrides):
    """Build ``n_astrocytes`` independent AN units.

    Parameters
    ----------
    n_astrocytes : int
        Independent copies (one astrocyte each).
    neurons_per_astrocyte, synapses_per_neuron : int
        Unit size; the lab's code uses 2 neurons with 10 synapses each.
    rate : Quantity or array of Quantity
        Poisson rate of every presynaptic neuron, or one rate per copy (length ``n_astrocytes``).
    dt : Quantity
        Time step of every object (the lab's code uses 1 ms forward Euler).
    **overrides
        Replacements for :data:`PARAMETERS`, units checked.

    Returns
    -------
    types.SimpleNamespace
        ``pre``, ``neurons``, ``astrocytes``, ``synapses``, ``neuron_to_astro``, ``astro_to_neuron``,
        ``params`` and ``objects`` (list of all Brian2 objects, for a ``Network``).
    """
    for label, value in (("n_astrocytes", n_astrocytes), ("neurons_per_astrocyte", neurons_per_astrocyte),
                         ("synapses_per_neuron", synapses_per_neuron)):
        if int(value) != value or value < 1:
            raise ValueError(f"an_model: {label} must be a positive integer, got {value!r}")
    params = resolve_parameters(PARAMETERS, overrides, "an_model")
    n_post = n_astrocytes * neurons_per_astrocyte
    n_pre = n_post * synapses_per_neuron
    rates = np.broadcast_to(np.asarray(rate / Hz, dtype=float), (n_astrocytes,))
    pre = NeuronGroup(n_pre, "rate : Hz (constant)", threshold="rand() < rate*dt", dt=dt, name="an_pre*")
    pre.rate = np.repeat(rates, neurons_per_astrocyte * synapses_per_neuron) * Hz
    neuron_params = {k: params[k] for k in lif_passive.PARAMETERS}
    neurons = lif_passive.build(
        n_post, method=method, name="an_neurons*", extra_equations=NEURON_EQUATIONS, extra_reset=NEURON_RESET,
        extra_parameters={k: params[k] for k in ("tau_AG", "K_AG", "r_AG", "t_pulse")}, dt=dt, **neuron_params)
    astro = NeuronGroup(n_astrocytes, ASTROCYTE_EQUATIONS, threshold=ASTROCYTE_THRESHOLD, reset=ASTROCYTE_RESET,
                        method=method, namespace=params, dt=dt, name="an_astrocytes*")
    for var, value in INITIAL.items():
        setattr(astro, var, value)
    syn = Synapses(pre, neurons, SYNAPSE_MODEL, on_pre=SYNAPSE_ON_PRE, namespace=params, dt=dt,
                   name="an_synapses*")
    syn.connect(i=np.arange(n_pre), j=np.arange(n_pre) // synapses_per_neuron)
    syn.PR0 = params["PR0"]
    to_astro = Synapses(neurons, astro, "AG_in_post = AG_pre : mmolar (summed)", namespace=params, dt=dt, name="an_neuron_to_astro*")
    to_astro.connect(i=np.arange(n_post), j=np.arange(n_post) // neurons_per_astrocyte)
    to_neuron = Synapses(astro, neurons, "eSP_post = eSP_pre : 1 (summed)\nI_SIC_post = I_SIC_out_pre : amp (summed)",
                         namespace=params, dt=dt, name="an_astro_to_neuron*")
    to_neuron.connect(i=np.arange(n_post) // neurons_per_astrocyte, j=np.arange(n_post))
    return SimpleNamespace(pre=pre, neurons=neurons, astrocytes=astro, synapses=syn, neuron_to_astro=to_astro,
                           astro_to_neuron=to_neuron, params=params,
                           objects=[pre, neurons, astro, syn, to_astro, to_neuron])
