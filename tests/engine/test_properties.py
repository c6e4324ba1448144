"""Property-based check: random small Brian2 models give the same results under astrosim.

Hypothesis draws two groups per model, each with its own *structure* (integration method, nonlinearity, reset statements,
refractoriness, synaptic coupling through a summed variable and/or an on_pre pathway) and its
*values* (group size, parameters, initial state, connectivity). Every model is deterministic,
so astrosim must reproduce Brian2's numpy run: identical spikes, states to 1e-9 (norm-wise).
Each example costs one astrosim compilation, so the example count is kept small and
derandomised; the same draws run in CI every time.
"""
import sys
from pathlib import Path

import numpy as np
import brian2 as b2
from brian2 import ms
from hypothesis import HealthCheck, given, settings, strategies as st

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from tests.engine.networks.compare import (  # noqa: E402
    assert_close, assert_same_spikes, astrosim_run, capture)
from astrosim.testing.networks import run_in_namespace  # noqa: E402

NONLINEAR = ["", " - 0.1*v**3", " + 0.2*tanh(w)", " - 0.05*exp(-v)", " + 0.1*clip(w, -0.5, 0.5)"]
RESETS = ["v = v_r", "v = v_r\nw += d", "v = v_r\nw = w*0.5 + d"]
REFRACTORY = [None, "2*ms", "w > w_ref"]
METHODS = ["euler", "rk2", "rk4", "heun"]


@st.composite
def group_specs(draw):
    n = draw(st.integers(2, 8))
    floats = lambda lo, hi: st.lists(st.floats(lo, hi, allow_nan=False), min_size=n, max_size=n)  # noqa: E731
    n_syn = draw(st.integers(0, 2 * n))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    return dict(
        n=n, method=draw(st.sampled_from(METHODS)), nonlinear=draw(st.sampled_from(NONLINEAR)),
        reset=draw(st.sampled_from(RESETS)), refractory=draw(st.sampled_from(REFRACTORY)),
        summed=draw(st.booleans()), on_pre=draw(st.booleans()),
        a=draw(floats(0.5, 2.5)), b=draw(floats(-0.5, 0.5)), c=draw(floats(-0.5, 0.5)),
        v0=draw(floats(-0.5, 1.0)), theta=draw(st.floats(0.8, 1.2)),
        d=draw(st.floats(0.0, 0.3)), v_r=draw(st.floats(-0.3, 0.2)),
        w_ref=draw(st.floats(0.05, 0.4)), k=draw(st.floats(-0.2, 0.2)),
        synapses=draw(st.lists(pairs, min_size=n_syn, max_size=n_syn)),
    )


@st.composite
def models(draw):
    """Two independently drawn groups, plus an optional summed coupling from group 0 to 1."""
    groups = [draw(group_specs()), draw(group_specs())]
    cross = draw(st.booleans())
    k = draw(st.floats(-0.3, 0.3))
    n_pairs = draw(st.integers(1, 6)) if cross else 0
    pairs = [(draw(st.integers(0, groups[0]["n"] - 1)), draw(st.integers(0, groups[1]["n"] - 1)))
             for _ in range(n_pairs)]
    return dict(groups=groups, cross=pairs, cross_k=k)


def _build_group(m, g, ns):
    p = f"g{g}_"
    ns.update({p + "theta": m["theta"], p + "v_r": m["v_r"], p + "d": m["d"],
               p + "w_ref": m["w_ref"], p + "k_on": 0.5 * m["k"]})
    unless = " (unless refractory)" if m["refractory"] else ""
    eqs = f"""
    dv/dt = (a - v + c*w{m['nonlinear']} + I_syn + I_cross)/tau_v : 1{unless}
    dw/dt = (b*v - w)/tau_w : 1
    a : 1 (constant)
    b : 1 (constant)
    c : 1 (constant)
    I_syn : 1
    I_cross : 1
    """
    refractory = m["refractory"].replace("w_ref", p + "w_ref") if m["refractory"] else None
    kwargs = {"refractory": refractory} if refractory else {}
    reset = m["reset"].replace("v_r", p + "v_r").replace(" d", " " + p + "d")
    group = b2.NeuronGroup(m["n"], eqs, threshold=f"v > {p}theta", reset=reset,
                           method=m["method"], namespace=ns, name=f"prop_group{g}", **kwargs)
    for var in ("a", "b", "c"):
        setattr(group, var, m[var])
    group.v = m["v0"]
    ns.update({f"group{g}": group,
               f"state{g}": b2.StateMonitor(group, ["v", "w", "I_syn", "I_cross"], record=True,
                                            name=f"prop_state{g}"),
               f"spikes{g}": b2.SpikeMonitor(group, name=f"prop_spikes{g}")})
    if m["synapses"] and (m["summed"] or m["on_pre"]):
        model = "k : 1\nI_syn_post = k*(v_pre - v_post) : 1 (summed)" if m["summed"] else "k : 1"
        syn = b2.Synapses(group, group, model, on_pre=f"v_post += {p}k_on" if m["on_pre"] else None,
                          namespace=ns, name=f"prop_syn{g}")
        i, j = np.array(m["synapses"]).T
        syn.connect(i=i, j=j)
        syn.k = m["k"]
        ns[f"syn{g}"] = syn
    return group


def _build(model):
    ns = dict(tau_v=10 * ms, tau_w=30 * ms)
    g0, g1 = (_build_group(m, g, ns) for g, m in enumerate(model["groups"]))
    if model["cross"]:
        cross = b2.Synapses(g0, g1, "kx : 1\nI_cross_post = kx*tanh(v_pre) : 1 (summed)",
                            namespace=ns, name="prop_cross")
        i, j = np.array(model["cross"]).T
        cross.connect(i=i, j=j)
        cross.kx = model["cross_k"]
        ns["cross"] = cross
    return ns


def _run(run_function, model):
    b2.start_scope()
    b2.defaultclock.dt = 0.1 * ms
    ns = _build(model)
    run_in_namespace(run_function, ns, 20 * ms)
    state = {}
    for g, m in enumerate(model["groups"]):
        extra = ["lastspike"] if m["refractory"] else []  # exists only with refractoriness
        state[f"group{g}"] = ["v", "w", "I_syn", "I_cross"] + extra
    return capture(ns, state)


@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_random_models_match_brian2(model):
    ref = _run(b2.run, model)
    got = _run(astrosim_run(), model)
    for g in (0, 1):
        assert_same_spikes(got, ref, f"spikes{g}")
        key = f"group{g}.lastspike"
        for res in (ref, got):
            if key in res:  # -inf: never spiked
                res[key] = np.nan_to_num(res[key], neginf=-1e9)
    assert_close(got, ref, rtol=1e-9)
