"""NEST's ``astrocyte_lr_1994`` as Brian2 equations: Li-Rinzel Ca2+/h with decaying IP3 and a SIC output.

A transcription of NEST 3.10's model (``models/astrocyte_lr_1994.{h,cpp}``): the same state variables
(``IP3``, ``Ca_astro``, ``h_IP3R``), parameter names and default values, NEST's clamp of the calcium to
``[0, Ca_tot]`` (inside the right-hand side and after every step), spike input as a jump of IP3 by
``delta_IP3`` times the synaptic weight, and the slow inward current of Nadkarni & Jung (2003),
``SIC = SIC_scale * ln((Ca_astro - SIC_th)/nM)`` where the logarithm is positive, else 0.

Timing of the SIC, as NEST has it: the astrocyte computes its SIC from the calcium at the end of a step
and a ``sic_connection`` with a delay of D steps makes a neuron use it D steps later, so during the
step starting at t a neuron sees the SIC of ``Ca_astro(t - D dt)`` (zero before the first value
arrives). :func:`build` reproduces this with a shift register of D per-astrocyte values advanced at
the end of every step; ``SIC`` is the value neurons read now (``sic_connection`` sums ``weight*SIC_pre``).
D = 0 gives Brian2's natural reading, the SIC of the current calcium.
"""
from brian2 import NeuronGroup, ms, second, umolar

from .._params import resolve_parameters
from ..integrators import rkf45

__all__ = ["EQUATIONS", "PARAMETERS", "INITIAL", "CITATION", "SIC_EXPRESSION", "build",
           "spike_input", "sic_delay_steps"]

CITATION = (
    "NEST 3.10 astrocyte_lr_1994 (Jiang et al., NEST Initiative); Li & Rinzel (1994), J. Theor. Biol. "
    "166:461; De Young & Keizer (1992), PNAS 89:9895; Nadkarni & Jung (2003), Phys. Rev. Lett. 91:268101."
)

#: NEST's right-hand side. ``Ca_c`` is the calcium clamped to [0, Ca_tot] as in NEST's dynamics
#: function; NEST's current input ``J_noise`` is left out (no current generators here).
EQUATIONS = """
dIP3/dt = (IP3_0 - IP3)/tau_IP3 : mmolar
dCa_astro/dt = J_channel - J_pump + J_leak : mmolar
dh_IP3R/dt = alpha_h_IP3R*(1 - h_IP3R) - beta_h_IP3R*h_IP3R : 1
Ca_c = clip(Ca_astro, 0*mmolar, Ca_tot) : mmolar
alpha_h_IP3R = k_IP3R*Kd_inh*(IP3 + Kd_IP3_1)/(IP3 + Kd_IP3_2) : 1/second
beta_h_IP3R = k_IP3R*Ca_c : 1/second
J_pump = rate_SERCA*Ca_c**2/(Km_SERCA**2 + Ca_c**2) : mmolar/second
m_inf = IP3/(IP3 + Kd_IP3_1) : 1
n_inf = Ca_c/(Ca_c + Kd_act) : 1
Ca_ER = (Ca_tot - Ca_c)/ratio_ER_cyt : mmolar
J_leak = ratio_ER_cyt*rate_L*(Ca_ER - Ca_c) : mmolar/second
J_channel = ratio_ER_cyt*rate_IP3R*m_inf**3*n_inf**3*h_IP3R**3*(Ca_ER - Ca_c) : mmolar/second
"""

#: The SIC (dimensionless; a ``sic_connection``'s weight in pA makes it a current) of calcium
#: ``Ca_astro``: ln(y) for y = (Ca_astro - SIC_th)/nM > 1, else 0 (NEST's threshold at y = 1).
SIC_EXPRESSION = "SIC_scale*log(clip((Ca_astro - SIC_th)/nmolar, 1, inf))"

#: NEST 3.10 defaults, in NEST's units (uM, ms).
PARAMETERS = {
    "Ca_tot": 2.0 * umolar,  # total free Ca2+ in terms of cytosolic volume
    "IP3_0": 0.16 * umolar,  # baseline IP3
    "Kd_IP3_1": 0.13 * umolar,  # first IP3R dissociation constant of IP3
    "Kd_IP3_2": 0.9434 * umolar,  # second IP3R dissociation constant of IP3
    "Kd_act": 0.08234 * umolar,  # IP3R dissociation constant of Ca2+ (activation)
    "Kd_inh": 1.049 * umolar,  # IP3R dissociation constant of Ca2+ (inhibition)
    "Km_SERCA": 0.1 * umolar,  # half-activation of the SERCA pump
    "SIC_scale": 1.0,  # scale of the SIC output
    "SIC_th": 0.19669 * umolar,  # Ca2+ threshold of the SIC
    "delta_IP3": 0.0002 * umolar,  # IP3 increase per unit synaptic weight
    "k_IP3R": 0.0002 / (umolar * ms),  # IP3R binding constant of Ca2+ inhibition
    "rate_IP3R": 0.006 / ms,  # maximal Ca2+ release rate through IP3R
    "rate_L": 0.00011 / ms,  # Ca2+ leak rate from ER to cytosol
    "rate_SERCA": 0.0009 * umolar / ms,  # maximal SERCA uptake rate
    "ratio_ER_cyt": 0.185,  # ER / cytosol volume ratio
    "tau_IP3": 7142.0 * ms,  # IP3 decay time constant
}

#: NEST's initial state (Li & Rinzel 1994; Nadkarni & Jung 2003); IP3 starts at IP3_0.
INITIAL = {"Ca_astro": 0.073 * umolar, "h_IP3R": 0.793}


def sic_delay_steps(delay, dt):
    """Number of steps D of a SIC delay (a Quantity); refuses delays that are not whole steps."""
    steps = float(delay / dt)
    if steps < 0 or abs(steps - round(steps)) > 1e-9:
        raise ValueError(f"astrocyte_lr_1994: sic_delay {delay!r} is not a non-negative multiple of "
                         f"dt = {dt!r}")
    return int(round(steps))


def build(n, *, sic_delay=1 * ms, name=None, method=rkf45, dt=None, **overrides):
    """Create ``n`` NEST ``astrocyte_lr_1994`` astrocytes.

    Parameters
    ----------
    n : int
        Number of astrocytes.
    sic_delay : Quantity or None
        Delay of the SIC to the neurons (NEST: the ``sic_connection`` delay; its default, also in
        NEST's astrocyte examples, is 1 ms). A whole number of steps, 0 allowed. ``None`` leaves the
        SIC output out (no ``SIC`` variable), for networks that compute it in the synapses.
    method : str or StateUpdateMethod
        Integrator; the default :data:`astrosim.models.integrators.rkf45` is NEST's Fehlberg step.
    dt : Quantity, optional
        Time step of the group (default: the default clock's).
    **overrides
        Replacements for :data:`PARAMETERS` (NEST names), units checked.

    Returns
    -------
    NeuronGroup
        With IP3 = IP3_0 and NEST's initial Ca2+ and h.
    """
    from brian2 import defaultclock

    params = resolve_parameters(PARAMETERS, overrides, "astrocyte_lr_1994")
    if params["Ca_tot"] <= 0 * umolar or params["tau_IP3"] <= 0 * second:
        raise ValueError("astrocyte_lr_1994: Ca_tot and tau_IP3 must be positive")
    equations = EQUATIONS
    shift = ["Ca_astro = clip(Ca_astro, 0*mmolar, Ca_tot)"]
    if sic_delay is not None:
        steps = sic_delay_steps(sic_delay, dt if dt is not None else defaultclock.dt)
        equations += "SIC : 1\n" + "".join(f"SIC_{k} : 1\n" for k in range(1, steps + 1))
        chain = ["SIC"] + [f"SIC_{k}" for k in range(steps, 0, -1)]
        shift += [f"{dst} = {src}" for dst, src in zip(chain[:-1], chain[1:])]
        shift.append(f"{chain[-1]} = {SIC_EXPRESSION}")
    group = NeuronGroup(n, equations, method=method, namespace=params, dt=dt,
                        name=name or "astrocyte_lr_1994*")
    # NEST clamps the calcium after each step and then computes the SIC from it
    group.run_regularly("\n".join(shift), when="end", name=f"{group.name}_output")
    group.IP3 = params["IP3_0"]
    for var, value in INITIAL.items():
        setattr(group, var, value)
    return group


def spike_input(amount, **overrides):
    """``(statement, namespace)`` for a synapse's ``on_pre``: one input of weight ``amount`` raises IP3
    by ``delta_IP3*amount``, as in NEST (which refuses negative weights)."""
    params = resolve_parameters(PARAMETERS, overrides, "astrocyte_lr_1994")
    return f"IP3_post += delta_IP3*({amount})", {"delta_IP3": params["delta_IP3"]}
