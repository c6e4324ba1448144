"""Tsodyks-Markram synapse whose resting release probability is modulated by gliotransmitter (De Pitta 2011)."""
import numpy as np
from brian2 import Synapses, mmolar, nS, pA, second, umolar

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "ON_PRE", "PARAMETERS", "CITATION", "build", "paired_pulse_ratio"]

CITATION = (
    "Tsodyks & Markram (1997), PNAS 94:719; gliotransmitter modulation of De Pitta, Volman, Berry & "
    "Ben-Jacob (2011), 'A tale of two stories: astrocyte regulation of synaptic depression and "
    "facilitation', PLoS Comput. Biol. 7:e1002293; Brian form and values of Stimberg et al. (2019)."
)

#: u_S (utilisation) and x_S (resources) are event-driven; released neurotransmitter Y_S and the
#: presynaptic-receptor occupancy Gamma_S (bound gliotransmitter G_A, written by an astrocyte through
#: a summed variable) are clock-driven. U_0 interpolates between U_0_star and alpha.
EQUATIONS = """
du_S/dt = -Omega_f * u_S : 1 (event-driven)
dx_S/dt = Omega_d * (1 - x_S) : 1 (event-driven)
dY_S/dt = -Omega_c * Y_S : mmolar (clock-driven)
dGamma_S/dt = O_G * G_A * (1 - Gamma_S) - Omega_G * Gamma_S : 1 (clock-driven)
U_0 = (1 - Gamma_S) * U_0_star + alpha * Gamma_S : 1
G_A : mmolar
r_S : 1
"""

#: Facilitate, release, deplete; ``{effect}`` is the postsynaptic action (see :func:`build`).
ON_PRE = """
u_S += U_0 * (1 - u_S)
r_S = u_S * x_S
x_S -= r_S
Y_S += rho_c * Y_T * r_S
"""

PARAMETERS = {
    "U_0_star": 0.6,  # resting release probability without gliotransmitter
    "Omega_f": 3.33 / second,  # facilitation decay
    "Omega_d": 2.0 / second,  # depression recovery
    "rho_c": 0.005,  # vesicle / synaptic-cleft volume ratio
    "Y_T": 500 * mmolar,  # neurotransmitter in releasable vesicles
    "Omega_c": 40 / second,  # clearance of synaptic glutamate
    "O_G": 1.5 / (umolar * second),  # gliotransmitter binding rate
    "Omega_G": 0.5 / (60 * second),  # unbinding (2-minute memory)
    "alpha": 0.0,  # 0: release-decreasing, 1: release-increasing gliotransmission
    "w_e": 0.05 * nS,  # excitatory conductance per unit release (effect='conductance')
    "w_I": 50 * pA,  # synaptic current per unit release (effect='current')
}


def build(source, target, *, effect="conductance", name=None, method="exact", dt=None, **overrides):
    """Return an unconnected Tsodyks-Markram Synapses object.

    Parameters
    ----------
    source, target : Group
        Presynaptic spike source and postsynaptic group.
    effect : {'conductance', 'current', 'none'} or str
        What a release does to the target: ``g_e_post += w_e*r_S`` (conductance LIF),
        ``I_syn_post += w_I*r_S`` (current-based neurons), nothing, or a custom statement.
    **overrides
        Replacements for :data:`PARAMETERS`, units checked.
    """
    params = resolve_parameters(PARAMETERS, overrides, "tsodyks_markram")
    if not 0 <= params["alpha"] <= 1:
        raise ValueError(f"tsodyks_markram: alpha must lie in [0, 1], got {params['alpha']}")
    effects = {"conductance": "g_e_post += w_e*r_S", "current": "I_syn_post += w_I*r_S", "none": ""}
    statement = effects.get(effect, effect)
    syn = Synapses(source, target, EQUATIONS, on_pre=ON_PRE + statement, method=method, namespace=params,
                   dt=dt, name=name or "tsodyks_markram*")
    return syn


def paired_pulse_ratio(delta_t, U_0, Omega_f=3.33, Omega_d=2.0):
    """Analytic paired-pulse ratio r_2/r_1 of a rested synapse for a spike pair ``delta_t`` (s) apart.

    r_1 = U_0; between spikes u_S decays with Omega_f and x_S recovers with Omega_d; at the second
    spike u_2 = u_1' + U_0(1 - u_1') and r_2 = u_2 x_2.
    """
    delta_t = np.asarray(delta_t, dtype=float)
    u1 = U_0
    x1 = 1 - U_0
    u_decayed = u1 * np.exp(-Omega_f * delta_t)
    x_recovered = 1 - (1 - x1) * np.exp(-Omega_d * delta_t)
    u2 = u_decayed + U_0 * (1 - u_decayed)
    return u2 * x_recovered / U_0
