"""Name hygiene: no model variable name can collide with a name the fused kernel uses.

Model variables are drawn from every identifier that appears in generated kernels (engine
names with their reserved prefix and per-block suffix removed, Brian2's own derived names such
as ``_lio_1`` or ``__k_1_v`` stripped to their user-level stem) plus common model names; every
one Brian2 accepts as a variable name is used, in every template at once: state update,
threshold, reset, refractoriness, a synaptic pathway with event-driven variables (pre and post),
a summed variable, spike-generator input, and state, spike and rate monitors. The run must
agree with Brian2's numpy target.
"""
import re

import brian2 as b2
import numpy as np
import pytest
from brian2 import ms
from brian2.parsing.sympytools import str_to_sympy
import sympy

import astrosim
from astrosim.engine import names as kernel_names
from astrosim.engine.codegen import IDENTIFIER
from astrosim.engine.loop_modules import loop_sources

#: names common in models (``s`` and ``b`` crashed compilation before the reserved namespace)
COMMON = ["s", "b", "v", "x", "w", "u", "g", "n", "k", "d", "p", "c", "y", "z", "I", "h", "m",
          "a", "r", "q", "ts", "dts", "rng", "err", "idx", "cond", "start", "stop", "slot",
          "acc", "pos", "row", "done", "np", "numba", "range", "min", "max", "len", "float",
          "bool", "j", "vectorisation_idx", "synaptic_var", "lio_1", "cf", "ci", "prof", "nf"]
#: Brian2 itself refuses these as variable names (reserved for time, indices and size)
BRIAN2_RESERVED = ["t", "dt", "i", "N", "xi"]
#: names the reference itself cannot run: a variable ``numpy`` shadows the module in the
#: namespace of Brian2's numpy target
BRIAN2_NUMPY_BREAKS = {"numpy"}


def _valid(name):
    """Brian2 accepts ``name`` as a variable and sympy reads it as a plain symbol (Brian2's
    exact integrator substitutes names as strings: ``min`` becomes sympy's ``Min`` there)."""
    try:
        b2.Equations(f"{name} : 1")
        return str_to_sympy(name).is_Symbol and sympy.sympify(name).is_Symbol
    except Exception:  # noqa: BLE001 - Brian2 raises several types for invalid names
        return False


def _network(varnames, synnames):
    """Objects using ``varnames`` in neuron templates and ``synnames`` in synaptic ones.

    Brian2 refuses a synaptic variable named like a pre- or postsynaptic one, so the two lists
    are disjoint; the test swaps them in a second network. Deterministic throughout.
    """
    first = varnames[0]
    ode = "\n".join(f"d{x}/dt = ({2 + 0.1 * k} - {x})/(({4 + k % 3})*ms) : 1 (unless refractory)"
                    for k, x in enumerate(varnames))
    threshold = f"{first} > 1 and ({' + '.join(varnames)}) > -1e9"  # every name in it
    G = b2.NeuronGroup(4, ode, threshold=threshold, reset="\n".join(
        f"{x} = 0.1*{x}" for x in varnames), refractory=0.5 * ms, method="euler", name="G")
    for k, x in enumerate(varnames):
        setattr(G, x, f"0.3*i + 0.5 + {0.01 * k}")  # neurons 2 and 3 fire at once
    # one event-driven variable (Brian2 solves them jointly with sympy: slow for many)
    syn_model = "w : 1\n" + "\n".join(f"d{y}/dt = -{y}/(5*ms) : 1 (event-driven)" if k == 0
                                      else f"{y} : 1" for k, y in enumerate(synnames))
    on_pre = "\n".join(f"{y} += 0.1\n{x}_post += 0.01*w*{y}"
                        for x, y in zip(varnames, synnames))
    on_post = "\n".join(f"{y} *= 0.9\n{x}_pre += 0.001*{y}"
                         for x, y in zip(varnames, synnames))
    S = b2.Synapses(G, G, syn_model, on_pre=on_pre, on_post=on_post, delay=1 * ms, name="S")
    S.connect(condition="i != j")
    S.w = "1 + 0.1*i"
    # in a summed variable's code a name only appears as x_pre/x_post: a few suffice
    H = b2.NeuronGroup(2, "\n".join(f"{x} : 1" for x in varnames[:3]), name="H")
    summed = b2.Synapses(G, H, "\n".join(f"{x}_post = {x}_pre : 1 (summed)"
                                         for x in varnames[:3]), name="summed")
    summed.connect(j="i % 2")
    gen = b2.SpikeGeneratorGroup(2, [0, 1, 0], [0.5, 1.5, 2.2] * ms, name="gen")
    drive = b2.Synapses(gen, G, on_pre=f"{varnames[-1]}_post += 0.2", name="drive")
    drive.connect(j="i")
    monitors = [b2.StateMonitor(G, varnames, record=True, name="state"),
                # (Brian2's own SpikeMonitor holds the index as '_source_idx')
                b2.SpikeMonitor(G, variables=[x for x in varnames if x != "idx"],
                                name="spikes"),
                b2.PopulationRateMonitor(G, name="rate")]
    return b2.Network(G, S, H, summed, gen, drive, *monitors)


def _results(net):
    out = {}
    for obj in net.objects:
        if obj.name in ("G", "H", "S"):  # final states (H holds the summed variables)
            for var in obj.equations.names:
                out[f"{obj.name}.{var}"] = np.array(getattr(obj, var + "_")[:])
        if isinstance(obj, b2.StateMonitor):
            for var in obj.record_variables:
                out[f"{obj.name}.{var}"] = np.array(getattr(obj, var + "_"))
        elif isinstance(obj, b2.SpikeMonitor):
            out["spikes.i"] = np.array(obj.i[:])
            out["spikes.t"] = np.array(obj.t_[:])
            for var in obj.record_variables:
                out[f"spikes.{var}"] = np.array(getattr(obj, var + "_")[:])
        elif isinstance(obj, b2.PopulationRateMonitor):
            out["rate"] = np.array(obj.rate_[:])
    return out


def _run(varnames, synnames, engine):
    b2.start_scope()
    b2.defaultclock.dt = 0.1 * ms
    net = _network(varnames, synnames)
    if engine == "brian2":
        net.run(3 * ms)
        return _results(net), net
    sim = astrosim.Simulator(net, seed=1)
    sim.run(3 * ms)
    return _results(net), sim


def _kernel_identifiers():
    """Identifiers of the kernel of a network using neutral names, as user-level stems.

    Returns ``(engine, brian2)``: stems of the engine's own names (reserved prefix and block
    suffix removed) and the names Brian2 generated (``_lio_1`` -> ``_lio_1``).
    """
    _, sim = _run(["vv", "uu"], ["ww", "zz"], "astrosim")
    engine, brian2 = set(), set()
    text = "\n".join([sim.source, *loop_sources(sim.source)])  # the kernel and its loops
    for ident in set(IDENTIFIER.findall(text)):
        stem = re.sub(r"__(\d+|L)$", "", ident)
        if kernel_names.is_reserved(stem):
            engine.add(stem[len(kernel_names.PREFIX):])
        else:
            brian2.add(stem)
    return engine, brian2


def _candidates():
    """Model names to test: the engine's vocabulary plus common names.

    Excluded: names Brian2 refuses or defines itself, and names ``X`` whose derived ``_X`` is
    one of Brian2's own internal names (``idx`` -> ``_idx``, ``lio_1`` -> ``_lio_1``): those
    collide inside Brian2's generated code already, on every target.
    """
    engine, brian2 = _kernel_identifiers()
    # names Brian2 itself defines on groups and synapses (i, j, lastspike, delay, ...), and
    # their Python attributes (a variable 'stop' breaks Brian2's own spike queue)
    _, net = _run(["vv", "uu"], ["ww", "zz"], "brian2")
    taken = set()
    for obj in net.objects:
        taken |= set(getattr(obj, "variables", {})) | set(dir(obj))
    brian2_internal = {n for n in brian2 if n.startswith("_")}
    names = {n for n in engine | set(COMMON)
             if n and _valid(n) and "_" + n not in brian2_internal
             and not re.match(r"(lio_\d|to_record_|source_)", n)}
    names -= taken | BRIAN2_NUMPY_BREAKS
    names = {n for n in names if not re.search("vv|uu|ww|zz", n)}  # the neutral names
    # numbered families (kernel arguments a0, a1, ...; cse0, ...): one of each
    family = {}
    for n in sorted(names, key=lambda n: (len(n), n)):
        family.setdefault(re.sub(r"\d+$", "#", n), []).append(n)
    return sorted(n for members in family.values() for n in members[:1]), engine


def test_reserved_prefix_is_never_a_brian2_identifier():
    for name in ["0b", "0s", "0rng"]:
        assert not _valid(kernel_names.PREFIX + name)
    assert all(not _valid(name) for name in BRIAN2_RESERVED)


@pytest.fixture(scope="module")
def candidates():
    return _candidates()


def test_kernel_vocabulary_is_covered(candidates):
    names, engine = candidates
    # the engine's kernel-wide names and template locals all appear and are tested
    for stem in ["b", "s", "ts", "rng", "err", "nf", "n", "k", "a0", "cf", "slot", "nid"]:
        assert stem in engine
        assert stem in names
    assert len(names) > 50


@pytest.mark.parametrize("part", [0, 1])
def test_models_named_like_kernel_internals_match_brian2(candidates, part):
    names = candidates[0]
    # two groups; each name is in the neuron templates of one network and in the synaptic
    # ones of the other
    groups = [names[k::2] for k in range(2)]
    neuron, synapse = groups[part], groups[part ^ 1]
    synapse = synapse[:len(neuron)]
    ref, _ = _run(neuron, synapse, "brian2")
    got, sim = _run(neuron, synapse, "astrosim")
    assert len(ref["spikes.i"]) >= 4 and ref["rate"].max() > 0  # the run has activity
    np.testing.assert_array_equal(got["spikes.i"], ref["spikes.i"])
    np.testing.assert_allclose(got["spikes.t"], ref["spikes.t"], rtol=0, atol=1e-12)
    assert sorted(got) == sorted(ref)
    for key in ref:
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-9, atol=1e-12, err_msg=key)
