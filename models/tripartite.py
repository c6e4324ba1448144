"""Wire a tripartite network of any size from a neuron, a synapse and an astrocyte model (Stimberg et al. 2019 layout)."""
from types import SimpleNamespace

import numpy as np
from brian2 import Hz, NeuronGroup, Synapses

from .astrocytes import gchi
from .neurons import lif_conductance
from .synapses import tsodyks_markram

__all__ = ["build_tripartite", "poisson_sources", "CITATION"]

CITATION = (
    "Stimberg, Goodman, Brette & De Pitta (2019), 'Modeling neuron-glia interactions with the Brian 2 "
    "simulator', Computational Glioscience, Springer (synapse <-> astrocyte coupling through summed "
    "variables, with synapses as source/target)."
)


def poisson_sources(n, rate, *, dt=None, name=None):
    """``n`` Poisson spike sources with a per-neuron ``rate`` variable (batchable, unlike PoissonGroup)."""
    group = NeuronGroup(n, "rate : Hz (constant)", threshold="rand() < rate*dt", dt=dt, name=name or "sources*")
    group.rate = rate
    return group


def build_tripartite(n_neurons, synapses_per_neuron, n_astrocytes, *, input_rate=5 * Hz, neuron=lif_conductance,
                     astrocyte=gchi, synapse=tsodyks_markram, gliotransmission=True, neuron_params=None,
                     synapse_params=None, astrocyte_params=None, dt=None):
    """Build presynaptic sources -> synapses -> neurons, with astrocytes listening to and modulating synapses.

    Parameters
    ----------
    n_neurons : int
        Postsynaptic neurons.
    synapses_per_neuron : int
        Input synapses per neuron, each from its own Poisson source.
    n_astrocytes : int
        Astrocytes; synapse ``k`` is ensheathed by astrocyte ``k % n_astrocytes``.
    input_rate : Quantity
        Rate of the Poisson sources.
    neuron, astrocyte, synapse : module
        Model modules with ``build``; the synapse model must provide ``Y_S`` and ``G_A``, the
        astrocyte ``Y_S`` (input) and, with gliotransmission, ``G_A`` (output).
    gliotransmission : bool
        Couple the astrocytes' released gliotransmitter back to the synapses (closed loop).
    neuron_params, synapse_params, astrocyte_params : dict, optional
        Parameter overrides passed to each model's ``build``.

    Returns
    -------
    types.SimpleNamespace
        ``sources``, ``neurons``, ``synapses``, ``astrocytes``, ``syn_to_astro``, ``astro_to_syn``
        (or None) and ``objects``.
    """
    for label, value in (("n_neurons", n_neurons), ("synapses_per_neuron", synapses_per_neuron),
                         ("n_astrocytes", n_astrocytes)):
        if int(value) != value or value < 1:
            raise ValueError(f"tripartite: {label} must be a positive integer, got {value!r}")
    n_syn = n_neurons * synapses_per_neuron
    sources = poisson_sources(n_syn, input_rate, dt=dt, name="tripartite_sources*")
    neurons = neuron.build(n_neurons, dt=dt, **(neuron_params or {}))
    effect = "conductance" if "g_e" in neurons.variables else "current" if "I_syn" in neurons.variables else "none"
    synapses = synapse.build(sources, neurons, effect=effect, dt=dt, **(synapse_params or {}))
    synapses.connect(i=np.arange(n_syn), j=np.arange(n_syn) // synapses_per_neuron)
    synapses.x_S = 1.0
    astrocytes = astrocyte.build(n_astrocytes, dt=dt, release=gliotransmission, **(astrocyte_params or {}))
    owner = np.arange(n_syn) % n_astrocytes
    syn_to_astro = Synapses(synapses, astrocytes, "Y_S_post = Y_S_pre / N_incoming : mmolar (summed)",
                            dt=dt, name="tripartite_syn_to_astro*")
    syn_to_astro.connect(i=np.arange(n_syn), j=owner)
    objects = [sources, neurons, synapses, astrocytes, syn_to_astro]
    astro_to_syn = None
    if gliotransmission:
        astro_to_syn = Synapses(astrocytes, synapses, "G_A_post = G_A_pre : mmolar (summed)", dt=dt,
                                name="tripartite_astro_to_syn*")
        astro_to_syn.connect(i=owner, j=np.arange(n_syn))
        objects.append(astro_to_syn)
    return SimpleNamespace(sources=sources, neurons=neurons, synapses=synapses, astrocytes=astrocytes,
                           syn_to_astro=syn_to_astro, astro_to_syn=astro_to_syn, objects=objects)
