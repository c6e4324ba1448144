"""Outlining threaded loops: free names become parameters, += counters become reductions."""
from astrosim.engine.names import MODULE_HEADER
from astrosim.engine.outline import outline_loops


def test_prange_loop_becomes_a_function_with_its_free_names_and_reductions():
    text = "\n".join([
        "for _0b in range(_0ts.shape[0]):",
        "    _nf__3 = 0",
        "    for _idx__3 in _0prange(N__3):",
        "        y__3 = _0a4[_0b, _idx__3]",
        "        _y__3 = _lio_1__3 * y__3",
        "        _0a4[_0b, _idx__3] = _y__3",
        "        if not (_0abs(_y__3) < _0np.inf):",
        "            _nf__3 += 1",
        "    if _nf__3 > 0:",
        "        pass",
    ])
    main, functions = outline_loops(text, serial=False, threaded=True)
    functions = "\n\n".join(functions)
    assert "_0prange" not in main
    assert "    _nf__3 = _0threaded_loop0(N__3, _0a4, _0b, _lio_1__3, _nf__3)" in main
    assert "def _0threaded_loop0(N__3, _0a4, _0b, _lio_1__3, _nf__3):" in functions
    assert "parallel=True" in functions and functions.rstrip().endswith("return _nf__3")
    namespace = {}
    exec(MODULE_HEADER + functions.replace("cache=True", "cache=False"),
         namespace)
    import numpy as np

    a = np.ones((1, 5))
    assert namespace["_0threaded_loop0"](5, a, 0, 2.0, 0) == 0
    np.testing.assert_array_equal(a, 2.0)
    a[0, 3] = np.inf
    assert namespace["_0threaded_loop0"](5, a, 0, 2.0, 0) == 1


def test_text_without_prange_is_unchanged():
    text = "for _k in range(3):\n    x = 1"
    assert outline_loops(text, serial=False, threaded=True) == (text, [])


def _block(*lines):
    """Lines placed at a block's depth inside the fused step loop."""
    return "\n".join(["for _0b in range(1):", "    for _0s in range(3):", "        if _0t[_0s]:"]
                     + ["            " + line for line in lines])


def test_block_loops_move_out_with_loop_variables_reused_later():
    from astrosim.engine.outline import outline_loops

    text = _block("_0n__7 = 0",
                  "for _0k__7 in _0range(N__7):",
                  "    _0a1[_0b, _0n__7] = _0k__7",
                  "    _0n__7 += 1",
                  "for _0k__7 in _0range(_0n__7):",
                  "    _0a2[_0b, _0k__7] += _0a1[_0b, _0k__7]")
    main, functions = outline_loops(text, serial=True, threaded=False)
    functions = "\n\n".join(functions)
    assert main.count("_0element_loop") == 2 and "for _0k__7" not in main
    assert "_0n__7 = _0element_loop0(N__7, _0a1, _0b, _0n__7)" in main
    assert "parallel=False" in functions


def test_a_loop_whose_value_is_read_after_it_stays():
    from astrosim.engine.outline import outline_loops

    text = _block("for _0k in _0range(N):",
                  "    last = _0a1[_0b, _0k]",
                  "_0a2[_0b, 0] = last",
                  "for _0j in _0range(N):",
                  "    return 1")
    assert outline_loops(text, serial=True, threaded=False) == (text, [])


def test_outlined_kernel_is_bit_identical():
    """A network with every kind of block gives the same numbers with and without outlining."""
    import numpy as np
    from brian2 import (Hz, Network, NeuronGroup, PoissonInput, SpikeMonitor, StateMonitor, Synapses, ms,
                        seed)

    import astrosim

    results = []
    for outline in (False, True):
        seed(11)  # the same connections and weights
        G = NeuronGroup(60, "dv/dt = (I_syn + 1.2 - v)/(10*ms) : 1\nI_syn : 1", threshold="v > 1",
                        reset="v = 0", refractory=2 * ms, method="euler")
        P = PoissonInput(G, "v", 20, 40 * Hz, weight=0.05)
        S = Synapses(G, G, "w : 1\ndx/dt = -x/(5*ms) : 1 (clock-driven)\nI_syn_post = w*x : 1 (summed)",
                     on_pre="x += 1", delay=1 * ms, method="exact")
        S.connect(p=0.2)
        S.w = "0.02*rand()"
        M = StateMonitor(G, ["v", "I_syn"], record=True)
        SP = SpikeMonitor(G)
        sim = astrosim.Simulator(Network(G, P, S, M, SP), seed=7,
                                 options=astrosim.EngineOptions(outline_loops=outline))
        sim.run(60 * ms)
        results.append((M.v[:].copy(), M.I_syn[:].copy(), SP.i[:].copy(), SP.t[:].copy()))
    for before, after in zip(*results):
        np.testing.assert_array_equal(before, after)
    assert len(results[0][2]) > 20
