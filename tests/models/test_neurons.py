"""Neuron models against closed-form results: LIF charging and f-I curve, AdEx rheobase."""
import numpy as np
from brian2 import Network, SpikeMonitor, StateMonitor, mV, ms, nA, nS, pA, second

from astrosim.models.neurons import adex, lif_conductance, lif_passive


def test_passive_lif_charges_to_R_I_with_tau_m():
    """Paper Eq. 6 with constant input: v(t) = R_m I (1 - exp(-t/tau_m)) below threshold."""
    group = lif_passive.build(1, method="exact")
    group.I_SIC = 5 * pA  # R_m I = 6 mV < 9 mV threshold
    mon = StateMonitor(group, "v", record=0)
    Network(group, mon).run(100 * ms)
    p = lif_passive.PARAMETERS
    expected = float(p["R_m"] * 5 * pA) * (1 - np.exp(-np.asarray(mon.t / p["tau_m"])))
    np.testing.assert_allclose(np.asarray(mon.v[0]), expected, rtol=1e-9, atol=1e-15)


def test_conductance_lif_rate_matches_analytic_fi_curve():
    """Without synaptic input the LIF rate is 1/(t_ref + tau ln((V_inf - V_r)/(V_inf - V_th)))."""
    currents = [50, 150, 300] * pA
    group = lif_conductance.build(3, method="euler")
    group.I_ex = currents
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(1 * second)
    measured = spikes.count[:] / 1.0
    expected = np.array([lif_conductance.firing_rate(c) for c in currents])
    assert expected[0] == 0 and measured[0] == 0  # 50 pA is below rheobase (g_L * 10 mV = 99.9 pA)
    np.testing.assert_allclose(measured[1:], expected[1:], atol=2.01)  # Euler at 0.1 ms: within two spikes in 1 s


def test_adex_fires_just_above_but_not_below_rheobase():
    """Brette & Gerstner (2005): the saddle-node rheobase, here without subthreshold adaptation (a = 0)
    so that the w = 0 start cannot fire transiently: I_rh = g_L (V_T - E_L - Delta_T)."""
    rheobase = adex.rheobase({"a": 0 * nS})
    assert abs(rheobase - float(30 * nS * 18.2 * mV)) < 1e-15
    group = adex.build(2, method="euler", a=0 * nS)
    group.I_ex = np.array([0.97, 1.03]) * rheobase * nA * 1e9
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(1.5 * second)
    assert list(spikes.count[:] > 0) == [False, True]
