"""Outlined loops in modules of their own, named by their structure alone."""
import re

import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, ms

import astrosim
from astrosim.engine.loop_modules import _canonical
from astrosim.engine.outline import outline_loops


def _kernel(block, array, extra=""):
    """Fused-loop text with one element loop of block ``block`` over the array ``array``."""
    lines = ["for _0b in _0range(1):", "    for _0s in _0range(3):", "        if _0ticks[_0s, 0]:",
             f"            N__{block} = _0ci[{block}]",
             f"            for _idx__{block} in _0range(N__{block}):",
             f"                v__{block} = {array}[_0b, _idx__{block}]",
             f"                {array}[_0b, _idx__{block}] = v__{block} * _lio_1__{block}{extra}"]
    return "\n".join(lines)


def _canonical_names(text):
    _, functions = outline_loops(text, serial=True, threaded=False)
    return [_canonical(f)[2] for f in functions]


def test_the_same_loop_gets_the_same_module_wherever_it_is():
    assert _canonical_names(_kernel(3, "_0a7")) == _canonical_names(_kernel(12, "_0a40"))
    assert _canonical_names(_kernel(3, "_0a7")) != _canonical_names(_kernel(3, "_0a7", " + 1.0"))


def test_editing_one_object_compiles_only_its_loops(tmp_path):
    """A monitor added to a network adds its own loop module; the others are reused."""
    def run(extra_monitor):
        G = NeuronGroup(20, "dv/dt = (1.5 - v)/(10*ms) : 1\ndw/dt = -w/(20*ms) : 1",
                        threshold="v > 1", reset="v = 0; w += 0.1", method="euler", name="g")
        H = NeuronGroup(10, "dx/dt = -x**2/(5*ms) : 1", method="euler", name="h")  # not lazy
        H.x = 1
        objects = [G, H, StateMonitor(G, "v", record=True, name="mv")]
        if extra_monitor:
            objects.append(StateMonitor(H, "x", record=True, name="mx"))
        sim = astrosim.Simulator(Network(*objects), options=astrosim.EngineOptions(cache_dir=str(tmp_path)))
        sim.run(5 * ms)
        return {p.name for p in tmp_path.glob("*.py")}, np.asarray(G.v[:]).copy()

    loops, v, seen = [], [], set()
    for extra in (False, True):
        files, values = run(extra)
        kernel = "".join(p.read_text() for p in tmp_path.glob("*.py")
                         if p.name not in seen and "def run_chunk" in p.read_text())
        seen |= files
        loops.append(set(re.findall(r"_0loop_[0-9a-f]{16}", kernel)))  # the loops it calls
        v.append(values)
    before, after = loops
    assert len(before) >= 3  # the loops of the two groups and the monitor
    assert before < after and len(after - before) == 1  # only the new monitor's loop is new
    np.testing.assert_array_equal(v[0], v[1])
