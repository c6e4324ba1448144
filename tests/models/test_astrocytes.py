"""Astrocyte models: Li-Rinzel rest state of the AN-model code, G-ChI receptor kinetics, tripartite wiring."""
from brian2 import Hz, Network, StateMonitor, ms, second, umolar

from astrosim.models import tripartite
from astrosim.models.astrocytes import gchi, li_rinzel


def test_li_rinzel_rest_satisfies_the_steady_state_equations():
    """At rest dh/dt = 0 gives h = Q2/(Q2 + C) and dC/dt = 0 balances channel + leak against the SERCA pump."""
    group = li_rinzel.build(1, v3=0.8 * umolar / second, dt=20 * ms)
    Network(group).run(200 * second)
    p = li_rinzel.PARAMETERS
    C, h, I = group.C[0], group.h[0], group.I[0]
    Q2 = p["d2"] * (I + p["d1"]) / (I + p["d3"])
    assert abs(h - Q2 / (Q2 + C)) < 1e-6
    m, n = I / (I + p["d1"]), C / (C + p["d5"])
    influx = (p["v1"] * (m * n * h) ** 3 + p["v2"]) * (p["c0"] - (1 + p["c1"]) * C)
    pump = 0.8 * umolar / second * C ** 2 / (p["k3"] ** 2 + C ** 2)
    assert abs(float((influx - pump) / (umolar / second))) < 1e-6
    assert abs(float(C / li_rinzel.resting_calcium(I, v3=0.8 * umolar / second)) - 1) < 1e-5


def test_gchi_receptor_occupancy_relaxes_to_its_fixed_point():
    """dGamma_A/dt = O_N Y_S (1-Gamma_A) - Omega_N (1 + zeta C/(C+K_KC)) Gamma_A with C held low: check the steady state."""
    group = gchi.build(1, release=False, dt=20 * ms, O_beta=0 * umolar / second, O_delta=0 * umolar / second)
    group.Y_S = 1 * umolar
    group.I = 0 * umolar
    Network(group).run(20 * second)
    p = gchi.PARAMETERS
    C = group.C[0]
    off = p["Omega_N"] * (1 + p["zeta"] * C / (C + p["K_KC"]))
    on = p["O_N"] * 1 * umolar
    assert abs(group.Gamma_A[0] - on / (on + off)) < 1e-3


def test_tripartite_builder_wires_any_size():
    net = tripartite.build_tripartite(3, 4, 2, input_rate=200 * Hz, dt=0.5 * ms)
    assert len(net.synapses) == 12 and len(net.syn_to_astro) == 12 and len(net.astro_to_syn) == 12
    assert sorted(set(net.syn_to_astro.j[:])) == [0, 1]
    mon = StateMonitor(net.astrocytes, "Y_S", record=True)
    Network(*net.objects, mon).run(20 * ms)
    assert mon.Y_S.max() > 0  # released glutamate reaches the astrocytes
