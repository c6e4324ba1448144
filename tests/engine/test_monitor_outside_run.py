"""``StateMonitor.record_single_timestep()`` after an astrosim run records the current state."""
import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, ms, prefs

import astrosim


def _build():
    G = NeuronGroup(4, "dv/dt = -v/(5*ms) : 1\nw = 2*v + i : 1", method="exact")
    G.v = "1 + i"
    M = StateMonitor(G, ["v", "w"], record=[1, 3])
    return Network(G, M), M


def test_record_single_timestep_appends_the_current_state():
    net, M = _build()
    astrosim.Simulator(net).run(0.5 * ms)
    M.record_single_timestep()
    prefs.codegen.target = "numpy"  # the conftest restores it
    ref_net, ref = _build()
    ref_net.run(0.5 * ms)
    ref.record_single_timestep()
    assert len(M.t) == len(ref.t) == 6
    np.testing.assert_allclose(M.t_, ref.t_, rtol=0, atol=1e-15)
    np.testing.assert_allclose(M.v, ref.v, rtol=1e-12)
    np.testing.assert_allclose(M.w, ref.w, rtol=1e-12)
