"""A small noisy LIF network for sweep tests: tau is structural, I0 varies per batch copy."""
import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, ms, second

from astrosim.sweep import Model


def noisy_lif(tau, I0, n=4):
    group = NeuronGroup(n, "dv/dt = (I0 - v)/tau + 0.3*xi/sqrt(tau) : 1", threshold="v > 1", reset="v = 0",
                        method="euler", namespace={"tau": tau, "I0": I0}, dt=0.5 * ms)
    spikes = SpikeMonitor(group)

    def measure(sim):
        return {"count": sim.monitor_data(spikes)["count"].sum(axis=1),
                "v_end": sim.get_states(group, "v"), "first_spike_t": _first_spike(sim.monitor_data(spikes))}

    return Model([group, spikes], per_copy={"I0": [(group, "I0")]}, measure=measure)


def _first_spike(data):
    return np.array([t[0] if len(t) else np.nan for t in data["t"]]) * second
