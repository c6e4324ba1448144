"""A sweep over time per token or gains reuses one compiled kernel (constants are kernel arguments)."""
import pytest

from astrosim.analysis import compare, mapping
from astrosim.analysis.circuit import build_circuit


def test_time_and_gain_sweep_share_one_kernel():
    pytest.importorskip("numba")
    import astrosim
    import brian2

    class Louder(mapping.CircuitGains):
        rho_h = 150.0
        out_max_rate = 120.0

    q, k, v, w = compare.random_inputs(2, 3, 2, 2, seed=0)
    sources = []
    for T, gains in ((0.01, mapping.CircuitGains), (0.02, mapping.CircuitGains), (0.01, Louder)):
        brian2.start_scope()
        brian2.defaultclock.dt = 5e-4 * brian2.second
        stim = mapping.encode(q, k, v, w, T=T, dt=5e-4, gains=gains)
        sim = astrosim.Simulator(build_circuit(stim, "spiking").network, seed=1)
        sim.run(stim.duration * brian2.second)
        sources.append(sim.source)
    assert sources[0] == sources[1] == sources[2]
