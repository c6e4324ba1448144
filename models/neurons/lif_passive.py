"""Passive leaky integrate-and-fire neuron of the paper's Eq. 6 with synaptic current and SIC."""
from brian2 import NeuronGroup, Gohm, ms, mV, pA, second

from .._params import resolve_parameters

__all__ = ["EQUATIONS", "PARAMETERS", "INITIAL", "CITATION", "THRESHOLD", "RESET", "build"]

CITATION = (
    "Mia, Bal & Sengupta, 'Delving Deeper Into Astromorphic Transformers', arXiv 2312.10925, Eq. 6-7; "
    "parameter values from the same lab's AN-model code (Han, Islam & Sengupta, AAAI 2023)."
)

#: tau_m dv/dt = -v + R_m (I_syn + I_SIC). ``I_syn`` is an exponentially decaying synaptic current
#: (synapses add to it); a synapse may instead jump ``v`` directly, which is Eq. 6 integrated over a
#: current pulse much shorter than tau_m (what the AN model does). ``I_SIC`` is written by an
#: astrocyte (slow inward current) through a summed variable or set by the user.
EQUATIONS = """
dv/dt = (-v + R_m*(I_syn + I_SIC)) / tau_m : volt (unless refractory)
dI_syn/dt = -I_syn / tau_syn : amp
I_SIC : amp
"""

PARAMETERS = {
    "tau_m": 0.06 * second,  # membrane time constant (AN code: tau_mem)
    "R_m": 1.2 * Gohm,  # membrane resistance
    "v_th": 9 * mV,  # firing threshold, relative to rest
    "v_reset": 0 * mV,  # reset potential (= rest)
    "t_ref": 2 * ms,  # refractory period
    "tau_syn": 2 * ms,  # decay of the synaptic current I_syn
}

INITIAL = {"v": 0 * mV, "I_syn": 0 * pA, "I_SIC": 0 * pA}
THRESHOLD = "v >= v_th"
RESET = "v = v_reset"


def build(n, *, name=None, method="euler", dt=None, extra_equations="", extra_reset="", extra_parameters=None,
          **overrides):
    """Create ``n`` passive LIF neurons.

    Parameters
    ----------
    n : int
        Number of neurons.
    name : str, optional
        Brian2 name of the group.
    method : str
        Integration method (``'euler'`` matches the lab's MATLAB code).
    dt : Quantity, optional
        Time step of the group (default: the default clock).
    extra_equations, extra_reset : str
        Further equations / reset statements appended to the model's (e.g. a 2-AG trace).
    extra_parameters : dict, optional
        Constants used by the extra equations, added to the group's namespace.
    **overrides
        Replacements for entries of :data:`PARAMETERS` (units checked).
    """
    params = resolve_parameters(PARAMETERS, overrides, "lif_passive")
    params.update(extra_parameters or {})
    reset = RESET + ("\n" + extra_reset if extra_reset else "")
    group = NeuronGroup(
        n, EQUATIONS + extra_equations, threshold=THRESHOLD, reset=reset, refractory="t_ref",
        method=method, namespace=params, dt=dt, name=name or "lif_passive*",
    )
    for var, value in INITIAL.items():
        setattr(group, var, value)
    return group
