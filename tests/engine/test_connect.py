"""Compiled connect() under the 'astrosim' device against Brian2's own (numpy) connect."""
import numpy as np
import pytest
from brian2 import NeuronGroup, Synapses, seed, start_scope
from brian2.devices.device import reset_device, set_device

import astrosim.engine.api as engine_api
from astrosim.engine import EngineOptions
from astrosim.engine.connect import NumbaConnectCodeObject


@pytest.fixture(autouse=True)
def _compile_every_connect(monkeypatch):
    # these groups are small; by default connects under 1e8 pairs keep Brian2's numpy path
    monkeypatch.setattr(engine_api._device, "options",
                        EngineOptions(compiled_connect_min_pairs=0))


def _groups():
    G = NeuronGroup(60, "x : meter\nm : integer", name="src")
    H = NeuronGroup(45, "y : meter\nk : integer", name="tgt")
    G.x = "i*7*umeter"
    G.m = "(i*7) % 50"  # 45..49 lie outside the target group
    H.y = "i*9*umeter"
    H.k = "i % 4"
    return G, H


CASES = [
    dict(condition="i != j and x_pre < y_post"),
    dict(condition="sqrt((x_pre - y_post)**2) < 40*umeter"),
    dict(j="m for m in range(i, N_post, 3) if m % 2 == 0", skip_if_invalid=True),
    dict(j="i*2 + 1", skip_if_invalid=True),
    dict(i="m for m in range(N_pre) if m % 3 == k_post"),
    dict(condition="abs(i - j) < 3", n=2),
    dict(condition="abs(i - j) < 3", n="1 + i % 2"),
    dict(condition="m_pre == j"),  # rewritten to j='m_pre' (one candidate per source)
    dict(condition="j == i", n=2),
    dict(condition="i == k_post"),  # rewritten to i='k_post', then re-sorted by source
    dict(condition="k_post == i", n=2),
]


def _connect(device, case, via_synapses=False):
    start_scope()
    set_device(device)
    try:
        G, H = _groups()
        S = Synapses(G, H, "w : 1", name="syn")
        if via_synapses:  # a Synapses object as the target of another Synapses
            S.connect(j="i % N_post")
            S.w = "i*0.5"
            A = NeuronGroup(7, "", name="astro")
            T = Synapses(A, S, name="to_syn")
            T.connect(case["condition"])
            S = T
        else:
            S.connect(**case)
        return (np.asarray(S.i[:]).copy(), np.asarray(S.j[:]).copy(),
                np.asarray(S.N_incoming[:]).copy(), np.asarray(S.N_outgoing[:]).copy())
    finally:
        reset_device("runtime")


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_deterministic_connect_matches_brian2(case):
    ref = _connect("runtime", case)
    got = _connect("astrosim", case)
    assert len(ref[0]) > 0
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


def test_connect_to_a_synapses_object_matches_brian2():
    case = dict(condition="i == int(w_post) % 7")
    ref = _connect("runtime", case, via_synapses=True)
    got = _connect("astrosim", case, via_synapses=True)
    assert len(ref[0]) > 0
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("p", [0.05, 0.5])
def test_probabilistic_connect_has_binomial_count_and_repeats_under_seed(p):
    runs = []
    for _ in range(2):
        seed(11)
        runs.append(_connect("astrosim", dict(condition="i != j", p=p)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    pairs = 60 * 45 - 45
    n = len(runs[0][0])
    assert abs(n - p * pairs) < 5 * np.sqrt(pairs * p * (1 - p))
    assert np.all(runs[0][0] != runs[0][1])
    # uniform over presynaptic cells: chi-square-like bound on the out-degree spread
    out_deg = np.bincount(runs[0][0], minlength=60)
    assert out_deg.var() < 3 * 45 * p * (1 - p) + 1


def test_compiled_path_is_used_and_unsupported_forms_fall_back(monkeypatch):
    calls = []
    original = NumbaConnectCodeObject.run_block
    monkeypatch.setattr(NumbaConnectCodeObject, "run_block",
                        lambda self, block: calls.append(self.name) or original(self, block))
    _connect("astrosim", dict(condition="i < j"))
    assert len(calls) == 1
    seed(3)
    got = _connect("astrosim", dict(j="m for m in sample(N_post, size=4)"))  # fixed size
    assert len(calls) == 1  # Brian2's own generator ran
    assert np.all(np.bincount(got[0], minlength=60) == 4)
    monkeypatch.setattr(engine_api._device, "options",
                        EngineOptions(compiled_connect_min_pairs=60 * 45 + 1))
    _connect("astrosim", dict(condition="i < j"))
    assert len(calls) == 1  # too few pairs to pay for a compilation


def test_index_out_of_range_raises_like_brian2():
    with pytest.raises(IndexError, match="outside allowed range"):
        _connect("astrosim", dict(j="i + 30"))
    np.testing.assert_array_equal(_connect("astrosim", dict(j="i + 30", skip_if_invalid=True))[1],
                                  np.arange(30, 45))


def test_only_integer_presynaptic_equalities_are_rewritten():
    from astrosim.engine.connect import equality_generator

    start_scope()
    G, H = _groups()
    S = Synapses(G, H, "w : 1")
    assert equality_generator("m_pre == j", S) == "m_pre"
    assert equality_generator("j == i", S) == "i"
    assert equality_generator("i == k_post", S, "i") == "k_post"
    assert equality_generator("j == i", S, "i") == "j"
    for condition in ("x_pre == j", "k_post == j", "m_pre == i", "m_pre + 1 == j",
                      "m_pre == j and i > 2", "m_pre != j", True):
        assert equality_generator(condition, S) is None, condition
    for condition in ("y_post == i", "m_pre == i", "k_post + 1 == i"):
        assert equality_generator(condition, S, "i") is None, condition


def test_rewritten_conditions_keep_brian2_order_on_the_numpy_path_too(monkeypatch):
    monkeypatch.setattr(engine_api._device, "options",
                        EngineOptions(compiled_connect_min_pairs=10 ** 12))
    for case in (dict(condition="i == k_post"), dict(condition="m_pre == j", n=2)):
        ref = _connect("runtime", case)
        got = _connect("astrosim", case)
        for a, b in zip(ref, got):
            np.testing.assert_array_equal(a, b)


def test_single_equalities_connect_from_arrays_without_a_kernel(monkeypatch):
    calls = []
    original = NumbaConnectCodeObject.run_block
    monkeypatch.setattr(NumbaConnectCodeObject, "run_block",
                        lambda self, block: calls.append(self.name) or original(self, block))
    for case in (dict(condition="m_pre == j"), dict(condition="i == k_post"),
                 dict(condition="j == i")):
        ref = _connect("runtime", case)
        got = _connect("astrosim", case)
        for a, b in zip(ref, got):
            np.testing.assert_array_equal(a, b)
    assert calls == []  # vectorised: no connect kernel was compiled or run
    _connect("astrosim", dict(condition="j == i", n=2))
    assert len(calls) == 1  # repetitions keep the generator path
