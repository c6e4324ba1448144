"""NEST's ``tsodyks_synapse`` as Brian2 equations: depression and facilitation of Tsodyks, Uziel & Markram 2000.

A transcription of NEST 3.10's model (``models/tsodyks_synapse.h``): resources in three states, recovered
``x``, active ``y`` and inactive ``1 - x - y``, with ``dy/dt = -y/tau_psc`` and
``dx/dt = (1 - x - y)/tau_rec`` between spikes (event-driven and exact, as NEST's propagators), and a
utilisation ``u`` that decays with ``tau_fac``. At a presynaptic spike: ``u += U(1 - u)``, then the
released fraction ``u*x`` is transmitted with the weight, ``y += u*x`` and ``x -= u*x``. With
``tau_fac = 0`` (NEST's default) ``u`` is reset to ``U`` at every spike, so it is no state here.

NEST updates the synapse at the presynaptic spike and delivers after the delay; Brian2 updates at
delivery. With one delay per synapse the intervals between updates are the same.
"""
from brian2 import Synapses, ms

from .._params import resolve_parameters

__all__ = ["PARAMETERS", "INITIAL", "CITATION", "equations", "on_pre", "build"]

CITATION = (
    "NEST 3.10 tsodyks_synapse; Tsodyks, Uziel & Markram (2000), 'Synchrony generation in recurrent "
    "networks with frequency-dependent synapses', J. Neurosci. 20:RC50 (Eqs. 3-4)."
)

#: NEST 3.10 defaults. ``tau_psc`` is usually set to the target's synaptic time constant.
PARAMETERS = {
    "U": 0.5,  # increase of u per spike (resting utilisation)
    "tau_psc": 3.0 * ms,  # decay of the active resources y
    "tau_fac": 0.0 * ms,  # facilitation time constant; 0: no facilitation
    "tau_rec": 800.0 * ms,  # recovery of the inactive resources
}

#: NEST's initial state (u only exists with tau_fac > 0).
INITIAL = {"x": 1.0, "y": 0.0, "u": 0.0}


def equations(weight_unit="1", facilitation=False):
    """Synaptic equations; ``weight`` (NEST's name; constant per synapse) carries the unit of the target's weight."""
    eqs = ("dx/dt = (1 - x - y)/tau_rec : 1 (event-driven)\n"
           "dy/dt = -y/tau_psc : 1 (event-driven)\n"
           f"weight : {weight_unit} (constant)\n")
    if facilitation:
        eqs += "du/dt = -u/tau_fac : 1 (event-driven)\n"
    return eqs


def on_pre(effect, facilitation=False):
    """Spike code; ``effect`` is a statement template whose ``{release}`` is the transmitted ``weight*u*x``."""
    u = "u" if facilitation else "U"
    lines = ["u += U*(1 - u)"] if facilitation else []
    lines += [effect.format(release=f"weight*{u}*x"), f"y += {u}*x", f"x -= {u}*x"]
    return "\n".join(lines)


def build(source, target, effect, *, weight_unit="1", effect_namespace=None, delay=None, name=None,
          method="exact", dt=None, **overrides):
    """Return an unconnected NEST ``tsodyks_synapse`` Synapses object.

    Parameters
    ----------
    source, target : Group
        Presynaptic spike source and target group.
    effect : str
        Statement template for the target; ``{release}`` stands for ``weight*u*x``, e.g. the output of
        ``aeif_cond_alpha_astro.spike_input('{release}')`` or ``lr_1994_nest.spike_input('{release}')``.
    weight_unit : str
        Unit of ``weight`` (``'siemens'`` for conductance targets, ``'1'`` for astrocytes).
    effect_namespace : dict, optional
        Constants the effect needs (merged into the synapse's namespace).
    delay : Quantity, optional
        One transmission delay for all synapses (NEST's ``delay``).
    **overrides
        Replacements for :data:`PARAMETERS`, units checked.
    """
    params = resolve_parameters(PARAMETERS, overrides, "tsodyks_synapse")
    if not 0 <= params["U"] <= 1:
        raise ValueError(f"tsodyks_synapse: U must lie in [0, 1], got {params['U']}")
    if params["tau_psc"] <= 0 * ms or params["tau_rec"] <= 0 * ms or params["tau_fac"] < 0 * ms:
        raise ValueError("tsodyks_synapse: tau_psc and tau_rec must be positive, tau_fac non-negative")
    facilitation = params["tau_fac"] > 0 * ms
    namespace = dict(params, **(effect_namespace or {}))
    syn = Synapses(source, target, equations(weight_unit, facilitation), on_pre=on_pre(effect, facilitation),
                   method=method, namespace=namespace, delay=delay, dt=dt, name=name or "tsodyks_synapse*")
    return syn
