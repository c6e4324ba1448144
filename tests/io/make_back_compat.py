"""Regenerate ``tests/io/data/v<FORMAT_VERSION>.h5``: a small file kept per format version.

Run ``python tests/io/make_back_compat.py`` once when a new format version is introduced;
older files stay in the repository so ``test_back_compat.py`` proves they still load.
"""
import os

import brian2 as b

import astrosim.io as aio


def build_and_run():
    """A deterministic 5-neuron network with spikes, a state monitor and a rate monitor (20 ms)."""
    b.start_scope()
    b.prefs.codegen.target = "numpy"
    b.defaultclock.dt = 0.1 * b.ms
    ns = {"tau": 5 * b.ms}
    G = b.NeuronGroup(5, "dv/dt = (I - v)/tau : volt\nI : volt", threshold="v > 10*mV", reset="v = 0*mV",
                      method="exact", name="cells")
    G.I = "(8 + 2*i) * mV"
    mons = [b.SpikeMonitor(G, name="spikes"), b.StateMonitor(G, "v", record=[0, 4], name="trace"),
            b.PopulationRateMonitor(G, name="rate")]
    b.Network(G, *mons).run(20 * b.ms, namespace=ns)
    return mons, ns


if __name__ == "__main__":
    mons, ns = build_and_run()
    path = os.path.join(os.path.dirname(__file__), "data", f"v{aio.FORMAT_VERSION}.h5")
    aio.save(path, mons, metadata={"seed": 0, "namespace": ns, "description": "back-compat fixture"},
             overwrite=True)
    print(path)
