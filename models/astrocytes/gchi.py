"""G-ChI astrocyte (De Pitta et al. 2009): Li-Rinzel Ca2+ core with PLCbeta/PLCdelta IP3 metabolism."""
from brian2 import NeuronGroup, mmolar, second, umolar

from .._params import resolve_parameters
from .li_rinzel import CORE_EQUATIONS

__all__ = ["EQUATIONS", "RELEASE_EQUATIONS", "PULSED_BIAS_EQUATION", "PARAMETERS", "INITIAL", "RING_FIG5",
           "RING_FIG5_INITIAL", "CITATION", "build"]

CITATION = (
    "De Pitta, Goldberg, Volman, Berry & Ben-Jacob (2009), 'Glutamate regulation of calcium and IP3 "
    "oscillating and pulsating dynamics in astrocytes', J. Biol. Phys. 35:383; Brian form and parameter "
    "values of Stimberg, Goodman, Brette & De Pitta (2019), Computational Glioscience, Fig. 2-4; "
    "gliotransmitter release of De Pitta et al. (2011), PLoS Comput. Biol. 7:e1002293."
)

#: IP3 production by PLCbeta (glutamate-activated receptors Gamma_A) and PLCdelta (Ca2+-dependent),
#: degradation by IP3-3K and IP3-5P, an exogenous IP3 clamp J_ex towards I_bias (Goldberg et al.
#: 2010 non-linear form; F_ex = 0 disables it) and a gap-junction flux J_coupling (summed).
#: Y_S is synaptic glutamate seen by the astrocyte (summed from synapses, or set directly).
EQUATIONS = CORE_EQUATIONS + """
dI/dt = J_beta + J_delta - J_3K - J_5P + J_ex + J_coupling : mmolar
J_beta = O_beta * Gamma_A : mmolar/second
J_delta = O_delta / (1 + I/kappa_delta) * C**2 / (C**2 + K_delta**2) : mmolar/second
J_3K = O_3K * C**4 / (C**4 + K_D**4) * I / (I + K_3K) : mmolar/second
J_5P = Omega_5P * I : mmolar/second
J_ex = -F_ex/2 * (1 + tanh((abs(I - I_bias) - I_Theta)/omega_I)) * sign(I - I_bias) : mmolar/second
dGamma_A/dt = O_N * Y_S * (1 - Gamma_A) - Omega_N * (1 + zeta*C/(C + K_KC)) * Gamma_A : 1
I_bias : mmolar (constant)
J_coupling : mmolar/second
Y_S : mmolar
"""

#: Gliotransmitter resources x_A and released gliotransmitter G_A (De Pitta 2011); release happens
#: at the threshold event ``C > C_Theta`` (see :func:`build`).
RELEASE_EQUATIONS = """
dx_A/dt = Omega_A * (1 - x_A) : 1
dG_A/dt = -Omega_e * G_A : mmolar
"""

PARAMETERS = {
    # Li-Rinzel core (Stimberg 2019 rounded values, K_P = 0.05 uM as in their Figs. 3-6)
    "c0": 2.0 * umolar,  # total Ca2+ (C_T)
    "c1": 0.185,  # ER/cytosol volume ratio (rho_A)
    "v1": 6.0 / second,  # IP3R rate (Omega_C)
    "v2": 0.11 / second,  # ER leak (Omega_L)
    "v3": 0.9 * umolar / second,  # SERCA maximal rate (O_P)
    "k3": 0.05 * umolar,  # SERCA affinity (K_P)
    "d1": 0.13 * umolar, "d2": 1.049 * umolar, "d3": 0.9434 * umolar, "d5": 0.08234 * umolar,
    "a2": 0.2 / (umolar * second),  # IP3R inactivation binding rate (O_2)
    # IP3 metabolism
    "O_beta": 3.2 * umolar / second,  # maximal PLCbeta rate
    "O_delta": 0.6 * umolar / second,  # maximal PLCdelta rate
    "kappa_delta": 1.5 * umolar,  # IP3 inhibition of PLCdelta
    "K_delta": 0.1 * umolar,  # Ca2+ affinity of PLCdelta
    "O_3K": 4.5 * umolar / second,  # maximal IP3-3K rate
    "K_D": 0.7 * umolar,  # Ca2+ affinity of IP3-3K
    "K_3K": 1.0 * umolar,  # IP3 affinity of IP3-3K
    "Omega_5P": 0.05 / second,  # IP3-5P rate
    # exogenous IP3 clamp / gap-junction shape
    "F_ex": 0.0 * umolar / second,  # clamp strength (2 uM/s clamps I to I_bias)
    "I_Theta": 0.3 * umolar,  # coupling threshold
    "omega_I": 0.05 * umolar,  # coupling sharpness
    # metabotropic receptors
    "O_N": 0.3 / (umolar * second),  # agonist binding rate
    "Omega_N": 0.5 / second,  # unbinding rate
    "K_KC": 0.5 * umolar,  # Ca2+ affinity of PKC
    "zeta": 10,  # maximal PKC feedback
    # gliotransmitter release
    "C_Theta": 0.5 * umolar,  # release threshold
    "Omega_A": 0.6 / second,  # gliotransmitter recycling rate
    "U_A": 0.6,  # release fraction
    "G_T": 200 * mmolar,  # gliotransmitter in releasable vesicles
    "rho_e": 6.5e-4,  # vesicle/extracellular volume ratio
    "Omega_e": 60 / second,  # gliotransmitter clearance
}

INITIAL = {"C": 0.01 * umolar, "h": 0.9, "I": 0.01 * umolar, "Gamma_A": 0.0, "I_bias": 0 * umolar,
           "x_A": 1.0, "G_A": 0 * mmolar}

#: Values of the astrocyte ring of Stimberg et al. (2019), Fig. 5 (Brian example
#: ``frompapers/Stimberg_et_al_2018/example_5_astro_ring``), which differ from or pin down
#: :data:`PARAMETERS`: the rounded Li-Rinzel core (rho_A 0.18, Omega_L 0.1/s, d_2 1.05 uM, d_5 0.08 uM,
#: K_P 0.05 uM), the PLCdelta/IP3-3K/IP3-5P values of their Figs. 3-5 and the exogenous IP3 flux
#: F_ex = 0.09 uM/s. F_ex acts on every cell (I_bias = 0 except at the stimulated one), so it also
#: drains IP3 above I_Theta in unstimulated cells. No PLCbeta input (Y_S = 0) in that figure.
RING_FIG5 = {
    "c0": 2.0 * umolar, "c1": 0.18, "v1": 6.0 / second, "v2": 0.1 / second, "v3": 0.9 * umolar / second,
    "k3": 0.05 * umolar, "d1": 0.13 * umolar, "d2": 1.05 * umolar, "d3": 0.9434 * umolar, "d5": 0.08 * umolar,
    "a2": 0.2 / (umolar * second),
    "O_delta": 0.6 * umolar / second, "kappa_delta": 1.5 * umolar, "K_delta": 0.1 * umolar,
    "O_3K": 4.5 * umolar / second, "K_D": 0.7 * umolar, "K_3K": 1.0 * umolar, "Omega_5P": 0.05 / second,
    "F_ex": 0.09 * umolar / second, "I_Theta": 0.3 * umolar, "omega_I": 0.05 * umolar,
}

#: Initial state of the Fig. 5 ring (Brian's zero default for C and I, h = 0.9).
RING_FIG5_INITIAL = {"C": 0 * umolar, "h": 0.9, "I": 0 * umolar, "Gamma_A": 0.0}

#: Replacement of the J_ex line for a rectangular exogenous stimulus (Stimberg et al. 2019, Fig. 5):
#: the clamp target is I_bias while ``t mod T_bias < T_bias_on`` and 0 otherwise.
PULSED_BIAS_EQUATION = """
J_ex = -F_ex/2 * (1 + tanh((abs(I - I_bias*bias_on) - I_Theta)/omega_I)) * sign(I - I_bias*bias_on) : mmolar/second
bias_on = int((t % T_bias) < T_bias_on) : 1
"""


def build(n, *, name=None, method="rk4", dt=None, release=True, bias_pulses=None, **overrides):
    """Create ``n`` G-ChI astrocytes.

    Parameters
    ----------
    n : int
        Number of astrocytes.
    method : str
        Integration method (``'rk4'``; Stimberg et al. use ``'rk4'`` too).
    dt : Quantity, optional
        Time step of the group.
    release : bool
        Add gliotransmitter release (threshold ``C > C_Theta``, refractory while above it).
    bias_pulses : tuple of Quantity, optional
        ``(period, on_time)``: the exogenous IP3 target is ``I_bias`` during the first ``on_time``
        of every ``period`` and 0 otherwise (:data:`PULSED_BIAS_EQUATION`); default: always ``I_bias``.
    **overrides
        Replacements for :data:`PARAMETERS`, units checked.

    Notes
    -----
    ``J_coupling`` and ``Y_S`` are plain variables so that gap junctions
    (:mod:`.gap_junction`) and synapses (:mod:`astrosim.models.tripartite`) can write them as
    ``(summed)`` variables; left alone they stay 0.
    """
    params = resolve_parameters(PARAMETERS, overrides, "gchi")
    kwargs = {}
    equations = EQUATIONS
    if bias_pulses is not None:
        period, on_time = bias_pulses
        params.update(resolve_parameters({"T_bias": 1 * second, "T_bias_on": 1 * second},
                                         {"T_bias": period, "T_bias_on": on_time}, "gchi bias_pulses"))
        if not float(period) > 0:
            raise ValueError(f"gchi: bias_pulses period must be positive, got {period!r}")
        lines = [line for line in equations.splitlines() if not line.startswith("J_ex =")]
        equations = "\n".join(lines) + PULSED_BIAS_EQUATION
    if release:
        equations += RELEASE_EQUATIONS
        kwargs = dict(threshold="C > C_Theta", refractory="C > C_Theta",
                      reset="G_A += rho_e*G_T*U_A*x_A\nx_A -= U_A*x_A")
    group = NeuronGroup(n, equations, method=method, namespace=params, dt=dt,
                        name=name or "gchi*", **kwargs)
    for var, value in INITIAL.items():
        if var in group.variables:
            setattr(group, var, value)
    return group
