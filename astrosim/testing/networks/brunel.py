"""Brunel (2000) sparse network of leaky integrate-and-fire neurons with delta synapses.

Model A of Brunel, J. Comput. Neurosci. 8:183-208 (2000): excitatory and inhibitory LIF
neurons (tau = 20 ms, theta = 20 mV, V_r = 10 mV, refractory 2 ms), connection probability
epsilon = 0.1, excitatory weight J = 0.1 mV, inhibitory -g*J, one synaptic delay D = 1.5 ms,
and C_E independent Poisson inputs per neuron at eta times the threshold rate. The defaults
(g = 5, eta = 2) are the asynchronous irregular regime. Nothing in astrosim's engine was tuned
for it: delta synapses (``v_post += J``, no synaptic state), a delay ring, and the external
drive drawn as a binomial per neuron and step (Brian2's ``PoissonInput``).
"""
import brian2 as b2
from brian2 import ms, mV

__all__ = ["build_brunel"]


def build_brunel(n_e=4000, n_i=1000, epsilon=0.1, *, g=5.0, eta=2.0, monitors=True):
    """Namespace of the network; connectivity and initial potentials are drawn at build time."""
    c_e = max(1, int(round(epsilon * n_e)))
    ns = dict(tau=20 * ms, theta=20 * mV, V_r=10 * mV, J=0.1 * mV, g=g, D=1.5 * ms)
    nu_thr = ns["theta"] / (ns["J"] * c_e * ns["tau"])
    ns["nu_ext"] = eta * nu_thr
    neurons = b2.NeuronGroup(n_e + n_i, "dv/dt = -v/tau : volt (unless refractory)",
                             threshold="v > theta", reset="v = V_r", refractory=2 * ms,
                             method="exact", namespace=ns, name="brunel_neurons")
    neurons.v = "V_r + rand()*(theta - V_r)"
    exc, inh = neurons[:n_e], neurons[n_e:]
    exc_syn = b2.Synapses(exc, neurons, on_pre="v_post += J", delay=ns["D"], namespace=ns,
                          name="brunel_exc_syn")
    inh_syn = b2.Synapses(inh, neurons, on_pre="v_post += -g*J", delay=ns["D"], namespace=ns,
                          name="brunel_inh_syn")
    exc_syn.connect(p=epsilon)
    inh_syn.connect(p=epsilon)
    external = b2.PoissonInput(neurons, "v", c_e, ns["nu_ext"], weight=ns["J"])
    ns.update(neurons=neurons, exc_syn=exc_syn, inh_syn=inh_syn, external=external)
    if monitors:
        ns["spikes"] = b2.SpikeMonitor(neurons, name="brunel_spikes")
        ns["rate"] = b2.PopulationRateMonitor(neurons, name="brunel_rate")
    return ns
