"""The CUDA back end against the CPU one, through numba's CUDA simulator (CI has no GPU).

``NUMBA_ENABLE_CUDASIM`` must be set before ``numba.cuda`` is first imported, and it would
change ``numba.cuda`` for every later test of the process; so the networks run in one child
process (this file run as a script, with the variable set), which compares the back ends
and prints the measured differences as JSON; the tests here judge them. The simulator runs
every CUDA thread as a Python thread: the networks are tiny and short, 4 threads per block.

Both back ends use the counter-based random streams keyed the same way, and
``precise_math=True``; in the simulator the device maths is the host's, so agreement is
expected to rounding of the atomic additions (their order varies), 1e-12 here, with identical
spike trains: stochastic parts (Poisson input, white noise, random weights at build) are
compared exactly, not statistically.
"""
import json
import os
import subprocess
import sys

import pytest

THREADS = 4
TOL = 1e-12


# ----------------------------------------------------------------------------------------
# child process: run each case with both back ends and report differences
# ----------------------------------------------------------------------------------------
def _lif_network():
    """Noisy LIF neurons with Poisson input through STDP synapses and generator input, a
    serial pathway with heterogeneous delays, a summed variable, a shared variable updated by
    run_regularly, and four kinds of monitor."""
    from brian2 import (Hz, Network, NeuronGroup, PoissonGroup, PopulationRateMonitor,
                        SpikeGeneratorGroup, SpikeMonitor, StateMonitor, Synapses, ms,
                        start_scope, seed)

    start_scope()
    seed(11)
    P = PoissonGroup(10, 300 * Hz, name="poisson")
    gen = SpikeGeneratorGroup(3, [0, 1, 2, 0], [0.5, 1.0, 1.5, 3.0] * ms, name="gen")
    G = NeuronGroup(12, """dv/dt = (ge - v + I)/(10*ms) + 0.05*xi/sqrt(ms) : 1 (unless refractory)
                           dge/dt = -ge/(5*ms) : 1
                           I : 1""",
                    threshold="v > 0.6", reset="v = 0", refractory=1 * ms, method="euler",
                    name="G")
    G.I = "0.8 + 0.05*i"
    G.v = "0.6*rand()"
    s_in = Synapses(P, G, """w : 1
                             dApre/dt = -Apre/(2*ms) : 1 (event-driven)
                             dApost/dt = -Apost/(2*ms) : 1 (event-driven)""",
                    on_pre="ge += w\nApre += 0.02\nw = clip(w - Apost, 0, 0.4)",
                    on_post="Apost += 0.02\nw = clip(w + Apre, 0, 0.4)", name="S_in")
    s_in.connect(p=0.5)
    s_in.w = "0.1 + 0.2*rand()"
    s_rec = Synapses(G, G, "w : 1", on_pre="v_post = 0.9*v_post + w", name="S_rec")
    s_rec.connect(p=0.3)
    s_rec.w = "0.1*rand()"
    s_rec.delay = "0.5*rand()*ms"
    s_gen = Synapses(gen, G, on_pre="ge += 0.5", name="S_gen")
    s_gen.connect(j="i")
    H = NeuronGroup(4, "dx/dt = (Isum - x)/(5*ms) : 1\nIsum : 1\ntotal : 1 (shared)",
                    method="euler", name="H")
    H.run_regularly("total = 2*total + 1", dt=0.5 * ms, name="H_total")
    s_sum = Synapses(G, H, "Isum_post = v_pre : 1 (summed)", name="S_sum")
    s_sum.connect(p=0.5)
    mons = dict(spikes=SpikeMonitor(G, name="spikes"),
                state=StateMonitor(G, ["v", "ge"], record=[0, 3, 7], name="state"),
                rate=PopulationRateMonitor(G, name="rate"),
                hx=StateMonitor(H, "x", record=True, name="hx"))
    net = Network(P, gen, G, s_in, s_rec, s_gen, H, s_sum, *mons.values())
    return net, {"G": G, "H": H, "S_rec": s_rec, "S_in": s_in}, mons


class _CountSpikes:
    def __init__(self):
        self.spikes, self.chunks = 0, 0

    def on_run_start(self, sim, duration):
        pass

    def on_chunk(self, sim, data, t_end):
        self.chunks += 1
        self.spikes += len(data.get("spikes", {}).get("i", []))

    def on_run_end(self, sim):
        pass


def _diff(a, b):
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max()) if a.size else 0.0


def _case_lif():
    """CPU and CUDA, two copies; then CUDA unbatched, which is copy 0 (same key, same I)."""
    import numpy as np
    from brian2 import ms

    import astrosim

    out = {}
    for backend in ("cpu", "cuda"):
        net, groups, mons = _lif_network()
        sim = astrosim.Simulator(net, batch=2, seed=5, backend=backend, precise_math=True,
                                 rng="counter", cuda_threads=THREADS)
        sim.set_batch_values(groups["G"], "I", np.array([[0.8], [0.6]]) + 0.05 * np.arange(12))
        listener = _CountSpikes()
        sim.run(3 * ms, listeners=[listener])
        sim.run(2 * ms, listeners=[listener])
        out[backend] = dict(
            v=sim.monitor_data(mons["state"])["v"], ge=sim.monitor_data(mons["state"])["ge"],
            x=sim.monitor_data(mons["hx"])["x"], rate=sim.monitor_data(mons["rate"])["rate"],
            spikes=sim.monitor_data(mons["spikes"]),
            v_end=np.asarray(sim.get_states(groups["G"], "v")),
            w_end=np.asarray(sim.get_states(groups["S_rec"], "w")),
            stdp_w=np.asarray(sim.get_states(groups["S_in"], "w")),
            total=np.asarray(sim.get_states(groups["H"], "total")),
            listened=listener.spikes, facts=sim.kernel_facts)
    cpu, gpu = out["cpu"], out["cuda"]
    net, groups, mons = _lif_network()
    sim = astrosim.Simulator(net, seed=5, backend="cuda", precise_math=True, rng="counter",
                             cuda_threads=THREADS)
    sim.run(3 * ms)
    sim.run(2 * ms)
    single = dict(i=np.asarray(mons["spikes"].i[:]), t=np.asarray(mons["spikes"].t_[:]),
                  v=np.asarray(mons["state"].v[:]).T, v_end=np.asarray(groups["G"].v[:]))
    out = _lif_summary(cpu, gpu, single, net)
    from numba import config

    if config.ENABLE_CUDASIM:  # the simulator runs blocks one after another: no grid barriers
        return out
    # on a card: the single copy spread over three blocks meeting at grid-wide barriers
    net3, groups3, mons3 = _lif_network()
    sim = astrosim.Simulator(net3, seed=5, backend="cuda", precise_math=True, rng="counter",
                             cuda_threads=THREADS, cuda_blocks=3)
    sim.run(3 * ms)
    sim.run(2 * ms)
    spread = dict(i=np.asarray(mons3["spikes"].i[:]), t=np.asarray(mons3["spikes"].t_[:]),
                  v=np.asarray(mons3["state"].v[:]).T, v_end=np.asarray(groups3["G"].v[:]),
                  x=np.asarray(mons3["hx"].x[:]).T, total=np.asarray(groups3["H"].total[:]))
    out["blocks_diff"] = max(_diff(cpu["v"][0], spread["v"]), _diff(cpu["v_end"][0], spread["v_end"]),
                             _diff(cpu["x"][0], spread["x"]),
                             _diff(np.ravel(cpu["total"][0]), np.ravel(spread["total"])),
                             _diff(cpu["spikes"]["t"][0], spread["t"]))
    out["blocks_same_spikes"] = bool(np.array_equal(cpu["spikes"]["i"][0], spread["i"]))
    return out


def _lif_summary(cpu, gpu, single, net):
    import numpy as np

    return {
        "max_diff": max(_diff(cpu[k], gpu[k]) for k in ("v", "ge", "x", "rate", "v_end", "w_end",
                                                         "stdp_w", "total")),
        "stdp_changed": bool(np.any(np.abs(np.diff(cpu["stdp_w"], axis=0)) > 0)),
        "total": [float(cpu["total"][b, 0]) for b in range(2)],
        "same_spikes": all(np.array_equal(cpu["spikes"][k][b], gpu["spikes"][k][b])
                           for k in ("i", "t") for b in range(2))
        and np.array_equal(cpu["spikes"]["count"], gpu["spikes"]["count"]),
        "n_spikes": [len(cpu["spikes"]["i"][b]) for b in range(2)],
        "copies_differ": not np.array_equal(cpu["spikes"]["i"][0], cpu["spikes"]["i"][1]),
        "listened": [cpu["listened"], gpu["listened"]],
        "modes": gpu["facts"]["cuda_modes"],
        "rate_rows": int(gpu["rate"].shape[1]),
        "unbatched_diff": max(_diff(cpu["v"][0], single["v"]), _diff(cpu["v_end"][0], single["v_end"]),
                              _diff(cpu["spikes"]["t"][0], single["t"])),
        "unbatched_same_spikes": bool(np.array_equal(cpu["spikes"]["i"][0], single["i"])),
        "unbatched_t": float(net.t_),
    }


def _astro_network():
    """A small tripartite network (the structure of Stimberg et al. 2018 Fig. 6, simpler
    equations): LIF neurons on a TimedArray drive, synapses with depression whose release is
    scaled by gliotransmitter, astrocytes on their own clock sensing the synapses' transmitter
    and releasing gliotransmitter through summed variables, gap-junction coupling."""
    from brian2 import (Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses,
                        TimedArray, ms, seed, start_scope)

    start_scope()
    seed(13)
    stim = TimedArray([1.0, 1.4], dt=2 * ms, name="stim")
    N = NeuronGroup(10, """dv/dt = (I*stim(t) + ge - v)/(10*ms) : 1 (unless refractory)
                           dge/dt = -ge/(5*ms) : 1
                           I : 1""", threshold="v > 0.6", reset="v = 0",
                    refractory=1 * ms, method="euler", namespace={"stim": stim},
                    name="neurons")
    N.I = "0.7 + 0.04*i"
    N.v = "0.6*rand()"
    syn = Synapses(N, N, """dY/dt = -Y/(2*ms) : 1 (clock-driven)
                            dx_S/dt = (1 - x_S)/(20*ms) : 1 (event-driven)
                            G_A : 1
                            w : 1""",
                   on_pre="""r = 0.5*(1 - 0.5*G_A)*x_S
                             x_S -= r
                             Y += r
                             ge_post += w*r""", method="euler", name="syn")
    syn.connect(p=0.4)
    syn.x_S = 1
    syn.w = "0.5 + 0.5*rand()"
    A = NeuronGroup(4, """dC/dt = (Y_sum - C)/(3*ms) + J_gap : 1
                          dGamma/dt = (C - Gamma)/(5*ms) : 1
                          Y_sum : 1
                          J_gap : 1/second""", threshold="C > 0.3", refractory="C > 0.3",
                    reset="Gamma += 0.2", method="euler", dt=0.5 * ms, name="astro")
    to_astro = Synapses(syn, A, "Y_sum_post = Y_pre : 1 (summed)", name="syn_to_astro")
    to_astro.connect("j == i % 4")
    to_syn = Synapses(A, syn, "G_A_post = Gamma_pre : 1 (summed)", name="astro_to_syn")
    to_syn.connect("i == j % 4")
    gap = Synapses(A, A, "J_gap_post = tanh(C_pre - C_post)*sign(C_pre - C_post)/(10*ms) : "
                   "1/second (summed)", name="gap")
    gap.connect("i != j")
    mons = dict(n_spikes=SpikeMonitor(N, name="n_spikes"),
                a_spikes=SpikeMonitor(A, name="a_spikes"),
                a_state=StateMonitor(A, ["C", "Gamma"], record=True, name="a_state"))
    net = Network(N, syn, A, to_astro, to_syn, gap, *mons.values())
    return net, {"neurons": N, "syn": syn, "astro": A}, mons


def _case_astro():
    import numpy as np
    from brian2 import ms

    import astrosim

    out = {}
    for backend in ("cpu", "cuda"):
        net, groups, mons = _astro_network()
        sim = astrosim.Simulator(net, batch=2, seed=2, backend=backend, precise_math=True,
                                 rng="counter", cuda_threads=THREADS)
        sim.set_batch_values(groups["neurons"], "I", np.array([[0.7], [0.9]]) + 0.04 * np.arange(10))
        sim.run(6 * ms)
        res = {f"{g}.{v}": np.asarray(sim.get_states(groups[g], v))
               for g, v in (("neurons", "v"), ("neurons", "ge"), ("syn", "Y"), ("syn", "x_S"),
                            ("syn", "G_A"), ("astro", "C"), ("astro", "Gamma"),
                            ("astro", "J_gap"))}
        res["a_state.C"] = sim.monitor_data(mons["a_state"])["C"]
        res["spikes"] = [sim.monitor_data(mons[m]) for m in ("n_spikes", "a_spikes")]
        res["facts"] = sim.kernel_facts
        out[backend] = res
    cpu, gpu = out["cpu"], out["cuda"]
    keys = [k for k in cpu if "." in k]
    scale = {k: max(float(np.abs(cpu[k]).max()), 1e-300) for k in keys}
    return {"max_rel": max(_diff(cpu[k], gpu[k]) / scale[k] for k in keys),
            "same_spikes": all(np.array_equal(c[k][b], g[k][b])
                               for c, g in zip(cpu["spikes"], gpu["spikes"])
                               for k in ("i", "t") for b in range(2)),
            "n_spikes": [[len(m["i"][b]) for b in range(2)] for m in cpu["spikes"]],
            "modes": gpu["facts"]["cuda_modes"]}


def _case_nan():
    from brian2 import Network, NeuronGroup, StateMonitor, ms, start_scope

    import astrosim
    from astrosim.engine.errors import SimulationError

    out = {}
    for backend in ("cpu", "cuda"):
        start_scope()
        G = NeuronGroup(6, "dv/dt = v**2/ms : 1", method="euler", name="blowup")
        G.v = "0.5 + 0.5*i"
        M = StateMonitor(G, "v", record=True)
        sim = astrosim.Simulator(Network(G, M), batch=2, seed=1, backend=backend,
                                 precise_math=True, cuda_threads=THREADS)
        sim.set_batch_values(G, "v", [[0.5] * 6, [5.0] * 6])
        try:
            sim.run(3 * ms)
            out[backend] = None
        except SimulationError as err:
            out[backend] = [err.variable, err.index, float(err.time), err.batch, str(err),
                            sim.monitor_data(M)["v"].shape[1]]
    return {"cpu": out["cpu"], "cuda": out["cuda"]}


def _case_full_spike_buffer():
    """Every neuron spikes every step: the spike buffer (4096 events) fills after 64 steps,
    the kernel stops those copies and the loop resumes them after emptying it."""
    import numpy as np
    from brian2 import Network, NeuronGroup, SpikeMonitor, ms, start_scope

    import astrosim

    out = {}
    for backend in ("cpu", "cuda"):
        start_scope()
        G = NeuronGroup(64, "v : 1", threshold="True", reset="v += 1", name="always")
        M = SpikeMonitor(G, name="all_spikes")
        sim = astrosim.Simulator(Network(G, M), batch=2, seed=1, backend=backend,
                                 cuda_threads=THREADS)
        sim.run(10 * ms)
        data = sim.monitor_data(M)
        out[backend] = (data, np.asarray(sim.get_states(G, "v")))
    (cpu, v_cpu), (gpu, v_gpu) = out["cpu"], out["cuda"]
    return {"n_spikes": [len(gpu["i"][b]) for b in range(2)],
            "same_spikes": all(np.array_equal(cpu[k][b], gpu[k][b])
                               for k in ("i", "t") for b in range(2)),
            "v_diff": _diff(v_cpu, v_gpu)}


def _case_profile_refused():
    from brian2 import Network, NeuronGroup, ms, start_scope

    import astrosim
    from astrosim.engine.errors import UnsupportedFeatureError

    start_scope()
    G = NeuronGroup(2, "dv/dt = -v/ms : 1", method="euler", name="quiet")
    sim = astrosim.Simulator(Network(G), backend="cuda", cuda_threads=THREADS)
    try:
        sim.run(0.2 * ms, profile=True)
    except UnsupportedFeatureError as err:
        return {"message": str(err)}
    return {"message": None}


CASES = {"lif": _case_lif, "astro": _case_astro, "nan": _case_nan,
         "full_spike_buffer": _case_full_spike_buffer,
         "profile_refused": _case_profile_refused}


def _child(names):
    import traceback
    import time

    sys.setswitchinterval(1e-5)  # the simulator's threads meet at barriers: switch often
    results = {}
    for name in names:
        t0 = time.perf_counter()
        try:
            results[name] = CASES[name]()
        except Exception:  # reported to the test of that case
            results[name] = {"error": traceback.format_exc()}
        results[name]["seconds"] = time.perf_counter() - t0
    print(json.dumps(results, default=str))


def _run_child(names, simulator=True, timeout=900):
    env = dict(os.environ, MPLBACKEND="Agg")
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    else:
        env.pop("NUMBA_ENABLE_CUDASIM", None)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), *names], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------
# the tests
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sim_results():
    """All cases, in one child process (about 2 minutes cold: mostly the CPU kernels'
    compilation; the simulated CUDA runs take seconds)."""
    return _run_child(list(CASES))


def _ok(result):
    assert "error" not in result, result["error"]
    return result


def test_lif_batched_agrees_with_cpu(sim_results):
    r = _ok(sim_results["lif"])
    assert r["max_diff"] <= TOL
    assert r["same_spikes"] and min(r["n_spikes"]) > 5 and r["copies_differ"]
    assert r["listened"][0] == r["listened"][1] == sum(r["n_spikes"])
    assert r["rate_rows"] == 50
    assert r["stdp_changed"] and r["total"] == [2.0 ** 10 - 1] * 2  # 10 ticks of 2*total + 1


def test_delivery_modes(sim_results):
    modes = _ok(sim_results["lif"])["modes"]
    # accumulating into the target (ge += w) is order-free: atomic adds
    assert modes["S_in_pre"] == modes["S_gen_pre"] == "atomic"
    assert modes["S_in_post"] == "parallel"  # writes only its own synapses
    assert modes["S_rec_pre"] == "serial"  # v_post = 0.9*v_post + w: Brian2's order
    assert modes["H_total"] == "serial"  # stores into a shared variable
    assert (modes["G_stateupdater"] == modes["G_spike_thresholder"]
            == modes["G_spike_resetter"] == modes["poisson_spike_thresholder"] == "parallel")
    assert modes["S_sum_summed_variable_Isum_post"] == "parallel"


def test_unbatched_run_is_copy_zero(sim_results):
    """Unbatched, results go to Brian2's monitors; the stream of copy 0 is the same key."""
    r = _ok(sim_results["lif"])
    assert r["unbatched_diff"] <= TOL and r["unbatched_same_spikes"]
    assert abs(r["unbatched_t"] - 0.005) < 1e-12


def test_several_blocks_per_copy_refused_where_they_cannot_meet():
    """Grid-wide barriers need every block of the launch: refused for batches (copies stop at
    different steps) and under the simulator (blocks run one after another); on a card the
    real-GPU test below runs a single copy over three blocks and over one per multiprocessor."""
    from brian2 import Network, NeuronGroup

    import astrosim
    from astrosim.engine.backends.cuda import blocks_per_copy
    from astrosim.engine.errors import UnsupportedFeatureError

    from numba import config

    options = astrosim.engine.default_options().replace(cuda_blocks=4)
    with pytest.raises(UnsupportedFeatureError, match="cuda_blocks=4 with batch=8"):
        blocks_per_copy(options, 8)
    assert blocks_per_copy(options.replace(cuda_blocks=0), 8) == 1
    assert blocks_per_copy(options.replace(cuda_blocks=1), 1) == 1
    config.ENABLE_CUDASIM, was = True, config.ENABLE_CUDASIM
    try:
        with pytest.raises(UnsupportedFeatureError, match="one after another"):
            blocks_per_copy(options, 1)
        assert blocks_per_copy(options.replace(cuda_blocks=0), 1) == 1
    finally:
        config.ENABLE_CUDASIM = was
    with pytest.raises(ValueError, match="cuda_blocks must be an integer from 0"):
        astrosim.Simulator(Network(NeuronGroup(1, "v : 1", name="one")), backend="cuda",
                           cuda_blocks=-1)


def test_astrocyte_network_agrees_with_cpu(sim_results):
    r = _ok(sim_results["astro"])
    assert r["max_rel"] <= TOL and r["same_spikes"]
    assert min(r["n_spikes"][0]) > 5 and min(r["n_spikes"][1]) > 0  # neurons and astrocytes
    assert r["modes"]["syn_pre"] == "atomic"
    assert (r["modes"]["gap_summed_variable_J_gap_post"] == r["modes"]["astro_spike_thresholder"]
            == "parallel")


def test_nan_reported_like_cpu(sim_results):
    r = _ok(sim_results["nan"])
    assert r["cpu"] is not None and r["cuda"] == r["cpu"]
    variable, index, _, batch, message, _ = r["cuda"]
    assert (variable, batch) == ("v", 1) and "blowup" in message


def test_full_spike_buffer_resumes(sim_results):
    r = _ok(sim_results["full_spike_buffer"])
    assert r["n_spikes"] == [64 * 100] * 2 and r["same_spikes"] and r["v_diff"] == 0


def test_profile_refused(sim_results):
    message = _ok(sim_results["profile_refused"])["message"]
    assert message and "profile=True" in message and "cuda" in message


def test_unknown_backend_and_sequential_stream_refused():
    from brian2 import Network, NeuronGroup

    import astrosim
    from astrosim.engine.errors import UnsupportedFeatureError

    net = Network(NeuronGroup(1, "v : 1", name="lonely"))
    with pytest.raises(ValueError, match="unknown backend 'tpu'.*'cpu', 'cuda'"):
        astrosim.Simulator(net, backend="tpu")
    with pytest.raises(UnsupportedFeatureError, match="rng='sequential' on the cuda"):
        astrosim.Simulator(net, backend="cuda", rng="sequential")
    sim = astrosim.Simulator(net, backend="cuda")
    assert sim.options.rng == "counter"


def test_no_device_is_a_clear_error():
    """Without a GPU (and without the simulator) the run stops with one line saying so."""
    from numba import config, cuda
    from brian2 import Network, NeuronGroup, ms

    import astrosim
    from astrosim.engine.errors import UnsupportedFeatureError

    if config.ENABLE_CUDASIM or cuda.is_available():
        pytest.skip("a CUDA device (or the simulator) is present")
    net = Network(NeuronGroup(2, "dv/dt = -v/ms : 1", method="euler", name="nodevice"))
    with pytest.raises(UnsupportedFeatureError, match="without a usable CUDA device"):
        astrosim.Simulator(net, backend="cuda").run(0.1 * ms)


def test_register_cap_fits_the_resident_blocks():
    """The register cap lets ``blocks_per_sm`` blocks of ``threads`` share one multiprocessor
    (65,536 registers): a grid of that many blocks per SM is co-resident."""
    from astrosim.engine.backends import cuda_runtime

    if cuda_runtime.config.ENABLE_CUDASIM:
        pytest.skip("the simulator takes no kernel options")
    for threads in (32, 64, 128, 256, 512, 1024):
        for per_sm in (1, 2, 4, 8):
            cap = cuda_runtime.kernel_options(threads, per_sm)["max_registers"]
            assert cap % 8 == 0 and 16 <= cap <= 255
            assert cap * threads * per_sm <= 65536 or cap == 16
    assert cuda_runtime.kernel_options(512)["max_registers"] == 128
    assert cuda_runtime.kernel_options(128, 4)["max_registers"] == 128
    from astrosim.engine import EngineOptions

    with pytest.raises(ValueError, match="cuda_blocks_per_sm must be an integer from 1 to 32"):
        EngineOptions(cuda_blocks_per_sm=0)


def test_user_function_refused():
    from brian2 import Network, NeuronGroup, check_units, ms

    import astrosim
    from astrosim.engine.errors import UnsupportedFeatureError

    @check_units(x=1, result=1)
    def squash(x):
        return x / (1 + abs(x))

    G = NeuronGroup(2, "dv/dt = (squash(v) - v)/ms : 1", method="euler", name="with_function",
                    namespace={"squash": squash})
    with pytest.raises(UnsupportedFeatureError, match="function 'squash'"):
        astrosim.Simulator(Network(G), backend="cuda").run(0.1 * ms)


def test_atomic_rewrite_rules():
    from astrosim.engine.backends.cuda_atomics import atomic_rewrite

    add = ("_postsynaptic_idx = _array_S__synaptic_post[_idx]\n"
           "ge = _array_G_ge[_0b, _postsynaptic_idx]\n"
           "w = _array_S_w[_0b, _idx]\n"
           "ge += w\n"
           "w = w * 0.5\n"
           "_array_G_ge[_0b, _postsynaptic_idx] = ge\n"
           "_array_S_w[_0b, _idx] = w")
    out = atomic_rewrite(add)
    assert "_0cuda.atomic.add(_array_G_ge, (_0b, _postsynaptic_idx), (w))" in out
    assert "ge = _array_G_ge" not in out and "_array_S_w[_0b, _idx] = w" in out
    assert atomic_rewrite(add.replace("ge += w", "ge -= w")).count("-(w)") == 1
    # order-dependent forms stay serial
    assert atomic_rewrite(add.replace("ge += w", "ge = 0.9*ge + w")) is None
    assert atomic_rewrite(add.replace("w = w * 0.5", "w = w * ge")) is None
    assert atomic_rewrite(add.replace("ge += w", "ge += ge")) is None
    assert atomic_rewrite(add, atomic_ok=lambda array: False) is None
    own = "w = _array_S_w[_0b, _idx]\nw += 1.0\n_array_S_w[_0b, _idx] = w"
    assert atomic_rewrite(own) == own


@pytest.mark.gpu
def test_real_gpu_agrees_with_cpu():
    """On a machine with a GPU: the batched LIF case on the device (FMA contraction and the
    device's maths differ from the host in the last bits; spike trains must still agree)."""
    try:
        from numba import cuda

        present = cuda.is_available()
    except Exception:
        present = False
    if not present or os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        pytest.skip("no CUDA device")
    r = _ok(_run_child(["lif"], simulator=False)["lif"])
    assert r["max_diff"] <= 1e-9 and r["same_spikes"]
    # the unbatched run (one block per multiprocessor) and a single copy over three blocks
    assert r["unbatched_diff"] <= 1e-9 and r["unbatched_same_spikes"]
    assert r["blocks_diff"] <= 1e-9 and r["blocks_same_spikes"]


if __name__ == "__main__":
    _child(sys.argv[1:] or list(CASES))
