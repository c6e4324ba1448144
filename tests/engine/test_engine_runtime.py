"""Entry points, refusals, NaN stop, seeds/statistics, disk cache and the chunk-listener protocol."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from brian2 import (Hz, Network, NeuronGroup, PoissonGroup, PoissonInput, SpikeMonitor,
                    StateMonitor, Synapses, implementation, check_units, mV, ms, network_operation,
                    second, start_scope)

import astrosim
from astrosim.engine import SimulationError, UnsupportedFeatureError


def test_run_collects_caller_objects_and_continues():
    tau = 10 * ms
    G = NeuronGroup(5, "dv/dt = (I - v)/tau : 1\nI : 1", threshold="v>1", reset="v=0",
                    method="euler")
    G.I = "i*0.5"
    SM = SpikeMonitor(G)
    astrosim.run(10 * ms)
    astrosim.run(10 * ms)
    got = (SM.t_[:].copy(), SM.i[:].copy(), G.v[:].copy())
    start_scope()
    G = NeuronGroup(5, "dv/dt = (I - v)/tau : 1\nI : 1", threshold="v>1", reset="v=0",
                    method="euler")
    G.I = "i*0.5"
    SM = SpikeMonitor(G)
    net = Network(G, SM)
    net.run(20 * ms)
    np.testing.assert_array_equal(got[1], SM.i[:])
    np.testing.assert_allclose(got[0], SM.t_[:], atol=1e-15)
    np.testing.assert_allclose(got[2], G.v[:], rtol=1e-12)
    assert abs(G.clock.variables['t'].get_value()[0] - 0.02) < 1e-12


SCRIPT = """
from brian2 import *
import matplotlib.pyplot as plt
set_device('cpp_standalone', directory=None, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = 2
G = NeuronGroup(6, 'dv/dt = (1.2 + 0.1*i - v)/(10*ms) : 1', threshold='v>1', reset='v=0',
                method='euler')
S = Synapses(G, G, on_pre='v += 0.05')
S.connect(j='(i + 1) % 6')
SM = SpikeMonitor(G)
run(20*ms)
G.v = 0.5
run(10*ms)
device.build(directory='output', compile=True, run=True)
plt.plot(SM.t/ms, SM.i, '.')
plt.savefig(FIG)
result = (SM.t_[:].copy(), SM.i[:].copy())
"""


def test_run_script_redirects_cpp_standalone(tmp_path):
    fig = tmp_path / "raster.png"
    script = tmp_path / "script.py"
    script.write_text(f"FIG = {str(fig)!r}\n" + SCRIPT)
    ns = astrosim.run_script(script, seed=1)
    t, i = ns["result"]
    assert fig.exists()
    # the same model in plain Brian2 (numpy target)
    start_scope()
    G = NeuronGroup(6, "dv/dt = (1.2 + 0.1*i - v)/(10*ms) : 1", threshold="v>1", reset="v=0",
                    method="euler")
    S = Synapses(G, G, on_pre="v += 0.05")
    S.connect(j="(i + 1) % 6")
    SM = SpikeMonitor(G)
    net = Network(G, S, SM)
    net.run(20 * ms)
    G.v = 0.5
    net.run(10 * ms)
    assert len(i) > 5
    np.testing.assert_array_equal(i, SM.i[:])
    np.testing.assert_allclose(t, SM.t_[:], atol=1e-15)
    from brian2 import get_device
    from brian2.devices.device import RuntimeDevice
    assert type(get_device()) is RuntimeDevice  # device restored afterwards


class _Recorder:
    def __init__(self):
        self.calls, self.chunks = [], []

    def on_run_start(self, sim, duration):
        self.calls.append(("start", duration))

    def on_chunk(self, sim, data, t_end):
        self.calls.append(("chunk", t_end))
        self.chunks.append(data)

    def on_run_end(self, sim):
        self.calls.append(("end",))


def test_listener_protocol_and_stochastic_statistics():
    P = PoissonGroup(200, 50 * Hz)
    G = NeuronGroup(400, "dv/dt = -v/(10*ms) + sqrt(2/(10*ms))*0.2*xi : 1", method="milstein")
    H = NeuronGroup(50, "dv/dt = -v/(10*ms) : 1")
    PI = PoissonInput(H, "v", 100, 10 * Hz, weight=0.01)
    SP = SpikeMonitor(P)
    M = StateMonitor(G, "v", record=True, dt=5 * ms)
    MH = StateMonitor(H, "v", record=True, dt=5 * ms)
    rec = _Recorder()
    net = Network(P, G, H, PI, SP, M, MH)
    sim = astrosim.Simulator(net, seed=4)
    sim.run(1 * second, listeners=[rec])
    kinds = [c[0] for c in rec.calls]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("chunk") >= 1
    assert abs(rec.calls[0][1] - 1.0) < 1e-12 and abs(rec.calls[-2][1] - 1.0) < 1e-9
    spikes = np.concatenate([c[SP.name]["i"] for c in rec.chunks])
    np.testing.assert_array_equal(spikes, SP.i[:])
    v = np.concatenate([c[M.name]["v"] for c in rec.chunks])
    np.testing.assert_array_equal(v, M.v_[:].T)
    # Poisson counts: 10000 expected, sd 100
    assert abs(SP.num_spikes - 10000) < 500
    # OU process with stationary sd 0.2 (samples after 100 ms, 5 ms apart)
    samples = M.v_[:, 20:]
    assert abs(samples.std() - 0.2) < 0.02
    # PoissonInput mean: N*rate*w*tau = 0.1
    assert abs(MH.v_[:, 20:].mean() - 0.1) < 0.01
    # same seed, same numbers
    start_scope()
    P2 = PoissonGroup(200, 50 * Hz)
    SP2 = SpikeMonitor(P2)
    astrosim.Simulator(Network(P2, SP2), seed=4).run(100 * ms)
    first = SP2.i[:].copy()
    start_scope()
    P2 = PoissonGroup(200, 50 * Hz)
    SP2 = SpikeMonitor(P2)
    astrosim.Simulator(Network(P2, SP2), seed=4).run(100 * ms)
    np.testing.assert_array_equal(first, SP2.i[:])


def test_nan_stops_cleanly_with_location():
    G = NeuronGroup(3, "dv/dt = v**2/(1*ms) : 1", method="euler")
    G.v = [0, 1, 0]
    M = StateMonitor(G, "v", record=True)
    with pytest.raises(SimulationError, match=r"'v'.*index 1.*2\.1 ms") as info:
        astrosim.Simulator(Network(G, M)).run(100 * ms)
    assert info.value.variable == "v" and info.value.index == 1
    assert len(M.t) == 22 and np.all(np.isfinite(M.v[1][:-1]))
    assert abs(G.clock.variables['t'].get_value()[0] - 2.2e-3) < 1e-12


def test_division_by_zero_is_reported_like_any_non_finite_value():
    # numpy semantics (x/0 -> inf), then the engine's check names the second of two variables
    G = NeuronGroup(4, "dv/dt = 0/(1*ms) : 1\ndw/dt = 1/(x*ms) : 1\nx : 1 (constant)",
                    method="euler")
    G.x = [1, 1, 0, 1]
    with pytest.raises(SimulationError, match=r"'w'.*index 2.*t = 0 ms") as info:
        astrosim.Simulator(Network(G)).run(1 * ms)
    assert info.value.variable == "w" and info.value.index == 2


_TABLE = np.arange(3.0)


@check_units(x=1, result=1)
def _pyfunc(x):
    return x + _TABLE[0]  # reads an array: cannot be compiled into the kernel


_pyfunc = implementation("numpy", discard_units=True)(_pyfunc)


@pytest.mark.parametrize("case", ["netop", "userfunc", "gsl"])
def test_unsupported_features_are_refused_before_running(case):
    G = NeuronGroup(2, "dv/dt = -v/(1*ms) : 1", method="gsl" if case == "gsl" else "euler",
                    name="grp")
    objs = [G]
    if case == "netop":
        objs.append(network_operation(dt=1 * ms)(lambda: None))
    if case == "userfunc":
        H = NeuronGroup(2, "dv/dt = -myf(v)/ms : 1", method="euler", name="uses_f",
                        namespace={"myf": _pyfunc})
        objs.append(H)
    net = Network(*objs)
    with pytest.raises(UnsupportedFeatureError) as info:
        astrosim.Simulator(net).run(1 * ms)
    assert net.t_ == 0.0
    msg = str(info.value)
    assert {"netop": "network_operation", "userfunc": "myf", "gsl": "GSL"}[case] in msg
    assert {"netop": "networkoperation", "userfunc": "uses_f", "gsl": "grp"}[case] in msg


def test_invalid_durations():
    net = Network(NeuronGroup(1, "v : 1"))
    sim = astrosim.Simulator(net)
    with pytest.raises(ValueError, match="non-negative"):
        sim.run(-1 * ms)
    with pytest.raises(TypeError, match="time quantity"):
        sim.run(3)
    with pytest.raises(Exception, match="units of time"):
        sim.run(1 * mV)
    with pytest.raises(ValueError, match="finite"):
        sim.run(np.inf * second)


CACHE_SCRIPT = textwrap.dedent("""
    import brian2 as b2, astrosim
    b2.prefs.codegen.target = 'numpy'
    G = b2.NeuronGroup(NAME_N, 'dv/dt = -v/(7*ms) : 1', method='exact', name=NAME)
    G.v = 1
    sim = astrosim.Simulator(b2.Network(G))
    sim.run(1*b2.ms)
    print(sim.module.run_chunk.stats.cache_hits and 1 or 0, float(G.v[0]))
""")


def test_disk_cache_keyed_by_structure(tmp_path):
    env = dict(os.environ, ASTROSIM_CACHE_DIR=str(tmp_path))

    def run(name, n):
        code = CACHE_SCRIPT.replace("NAME_N", str(n)).replace("NAME", repr(name))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
        return out.stdout.split()

    first = run("grp_a", 3)
    second = run("grp_b", 5)  # other name and size, same structure: cache hit
    assert first[0] == "0" and second[0] == "1"
    assert abs(float(second[1]) - np.exp(-1 / 7)) < 1e-12


def test_restore_with_spikes_in_flight_is_refused():
    G = NeuronGroup(2, "dv/dt = 1/ms : 1", threshold="v>1", reset="v=0")
    S = Synapses(G, G, on_pre="v += 0", delay=3 * ms)
    S.connect()
    net = Network(G, S)
    net.store()
    sim = astrosim.Simulator(net)
    sim.run(1.55 * ms)  # spikes at 1.1 ms are still in the queue
    net.restore()
    with pytest.raises(UnsupportedFeatureError, match="spikes in flight"):
        sim.run(1 * ms)


class _SwallowedCtrlC(_Recorder):
    """Delivers a SIGINT whose KeyboardInterrupt is caught, as in a weakref callback."""

    def on_chunk(self, sim, data, t_end):
        super().on_chunk(sim, data, t_end)
        if len(self.chunks) == 1:
            import signal
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass


def test_swallowed_ctrl_c_still_stops_the_run():
    G = NeuronGroup(10, "dv/dt = -v/(10*ms) : 1")
    net = Network(G)
    sim = astrosim.Simulator(net, seed=1, options=astrosim.EngineOptions(chunk_seconds=1e-4))
    rec = _SwallowedCtrlC()
    import signal
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    try:
        with pytest.raises(KeyboardInterrupt):
            sim.run(20 * second, listeners=[rec])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert float(net.t_) < 20 and rec.calls[-1] == ("end",)
    sim.run(1 * ms)  # the next run is not interrupted by the old delivery


def _spikes_in_flight():
    """A network run for 1 ms whose 5 ms delayed pathway holds spikes: ``(net, synapses, sim)``."""
    G = NeuronGroup(2, "v : 1", threshold="True", reset="")
    S = Synapses(G, G, on_pre="v_post += 1", delay=5 * ms)
    S.connect()
    net = Network(G, S)
    sim = astrosim.Simulator(net)
    sim.run(1 * ms)
    return net, S, sim


def test_queue_of_a_deleted_pathway_does_not_block_a_time_change():
    """Brian2's test harness resets the magic network's time between tests; spikes left in the
    queue of a pathway that no longer exists must not count as spikes in flight."""
    net, S, sim = _spikes_in_flight()
    (queue,) = sim._queues.values()
    assert queue.cnt.sum() > 0  # spikes in flight
    queue.ref = lambda: None  # as a weak reference to a pathway that was garbage-collected
    net.remove(S)
    net.t_ = 0.0
    sim.run(1 * ms)
    assert sim._queues == {}


def test_time_change_with_spikes_in_flight_is_refused():
    net, _, sim = _spikes_in_flight()
    net.t_ = 0.0
    with pytest.raises(UnsupportedFeatureError, match="spikes in flight"):
        sim.run(1 * ms)
