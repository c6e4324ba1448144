"""Engine options per Simulator, the seed kept, the kernel cache key, memory over many runs,
and the warning when a script chooses Brian2's numpy target itself."""
import gc
import logging
import textwrap
import tracemalloc
import warnings

import numba
import numpy as np
import pytest
from brian2 import Network, NeuronGroup, SpikeMonitor, ms, prefs

import astrosim
from astrosim.engine import EngineOptions, default_options, runtime
from astrosim.engine.errors import TargetIgnoredWarning
from astrosim.engine.loader import cache_key


def _small_net(noisy=False):
    eqs = ("dv/dt = (1.2 - v)/(3*ms) + 0.3*xi/sqrt(ms) : 1" if noisy
           else "dv/dt = (clip(1.2, 0, x) - v)/(3*ms) : 1\nx : 1")
    G = NeuronGroup(5, eqs, threshold="v > 1", reset="v = 0", method="euler", name="small")
    if not noisy:
        G.x = 5
    mon = SpikeMonitor(G, name="small_spikes")
    return Network(G, mon), G, mon


def test_options_are_per_simulator_and_validated():
    assert "EngineOptions" in dir(astrosim) or astrosim.EngineOptions is EngineOptions
    net, _, _ = _small_net()
    a = astrosim.Simulator(net, cse=False, parallel_min_size=0)
    assert a.options.cse is False and a.options.threads_from is None
    assert default_options().cse is True  # the defaults are untouched
    b = astrosim.Simulator(net, options=EngineOptions(precise_math=True), skip_sums=False)
    assert b.options.precise_math and not b.options.skip_sums
    with pytest.raises(TypeError, match="unknown engine option"):
        astrosim.Simulator(net, fast=True)
    with pytest.raises(ValueError, match="rng"):
        EngineOptions(rng="mersenne")
    env = EngineOptions.from_environment({"ASTROSIM_CSE": "0", "ASTROSIM_PARALLEL_MIN_SIZE": "7",
                                          "ASTROSIM_RNG": "counter"})
    assert (env.cse, env.parallel_min_size, env.rng) == (False, 7, "counter")


def test_importing_astrosim_leaves_the_brian2_target_alone():
    import subprocess
    import sys

    code = ("import brian2, astrosim.engine; from brian2 import prefs; "
            "print(prefs.codegen.target)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split()[-1] == "auto"


def test_drawn_seed_is_kept_and_reproduces_the_run():
    np.random.seed(3)
    net, G, mon = _small_net(noisy=True)
    sim = astrosim.Simulator(net)
    assert sim.seed is None
    sim.run(5 * ms)
    assert isinstance(sim.seed, int)
    first = (np.array(mon.i[:]), np.array(G.v[:]))
    net2, G2, mon2 = _small_net(noisy=True)
    again = astrosim.Simulator(net2, seed=sim.seed)
    again.run(5 * ms)
    np.testing.assert_array_equal(np.array(mon2.i[:]), first[0])
    np.testing.assert_array_equal(np.array(G2.v[:]), first[1])


def test_a_changed_runtime_helper_changes_the_key_and_recompiles(monkeypatch):
    net, G, _ = _small_net()
    sim = astrosim.Simulator(net, seed=1)
    sim.run(1 * ms)
    source = sim.source
    before = cache_key(source)
    assert cache_key(source) == before  # stable

    @numba.njit(cache=False)
    def clip_to_upper(x, lo, hi):  # a different helper behind the same name
        return hi

    monkeypatch.setattr(runtime, "clip", clip_to_upper)
    assert cache_key(source) != before
    # behaviour: the new helper is compiled in (clip(1.2, 0, x) now gives x = 5: faster rise)
    net2, G2, _ = _small_net()
    sim2 = astrosim.Simulator(net2, seed=1)
    sim2.run(1 * ms)
    assert sim2.source == source and sim2.module is not sim.module
    assert not np.allclose(np.array(G2.v[:]), np.array(G.v[:]))


def test_memory_is_flat_over_200_runs_of_a_small_network():
    """Each run captures fresh code objects; nothing may keep them (or kernels) alive."""
    G = NeuronGroup(5, "dv/dt = (1.2 - v)/(3*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="euler", name="small")
    sim = astrosim.Simulator(Network(G), seed=1)
    for _ in range(20):  # warm: kernel compiled and loaded, Brian2's caches filled
        sim.run(0.5 * ms)
    gc.collect()
    tracemalloc.start()
    samples = []
    # pytest keeps every captured log record, and Brian2 logs each code object it creates
    logging.disable(logging.INFO)
    try:
        for k in range(200):
            sim.run(0.5 * ms)
            if k % 20 == 19:
                gc.collect()
                samples.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)
    steps = np.diff(samples)  # 9 intervals of 20 runs
    # stated bound: the typical interval keeps under 20 kB (1 kB per run); the median ignores
    # a single one-off resize of a long-lived table, a leak (e.g. every captured code object
    # kept, as the removed registry did) grows in every interval
    assert np.median(steps) < 20 * 1024, f"per 20 runs: {np.round(steps / 1024)} kB"
    assert samples[-1] - samples[0] < 8 * 2 ** 20
    assert float(sim.network.t_) > 0.1 - 1e-9  # the runs did advance: 220 x 0.5 ms


SCRIPT = textwrap.dedent("""
    from brian2 import *
    SET_TARGET
    G = NeuronGroup(3, 'dv/dt = -v/(5*ms) : 1', method='exact')
    G.v = 1
    run(1*ms)
    result = float(G.v[0])
""")


@pytest.mark.parametrize("line, warns", [("prefs.codegen.target = 'numpy'", True), ("", False)])
def test_a_script_choosing_the_numpy_target_is_warned(tmp_path, line, warns):
    path = tmp_path / "script.py"
    path.write_text(SCRIPT.replace("SET_TARGET", line))
    before = prefs.codegen.target
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ns = astrosim.run_script(path)
    found = [w for w in caught if issubclass(w.category, TargetIgnoredWarning)]
    assert bool(found) == warns
    if warns:
        assert "prefs.codegen.target = 'numpy'" in str(found[0].message)
    assert abs(ns["result"] - np.exp(-0.2)) < 1e-12
    assert prefs.codegen.target == before
