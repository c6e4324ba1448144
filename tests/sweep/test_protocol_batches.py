"""Protocols whose grid axes are per-copy parameters run a chunk as one batched engine run, with the
results of running each point on its own with its seed."""
import gc

import numpy as np
import pytest
from brian2 import NeuronGroup, Synapses, ms

import astrosim
from astrosim.protocols import PROTOCOLS, get
from astrosim.sweep import Model, SweepInputError, make_axes
from astrosim.sweep.plan import plan_tasks
from astrosim.sweep.runners import ModelRunner, ProtocolRunner, _release_previous_networks, _seed_build

BATCHED = {"calcium_vs_frequency", "release_probability", "stdp_window", "calcium_wave", "calcium_oscillations",
           "gliotransmission"}


def test_which_protocols_run_a_chunk_as_one_batched_run():
    assert {name for name in PROTOCOLS if ProtocolRunner(name).batched} == BATCHED
    for name in BATCHED:
        module = get(name)
        known = {p.name for p in module.PARAMETERS}
        assert set(module.BATCH_PARAMETERS) <= known, name


def test_structural_axes_split_the_chunks_and_per_copy_axes_share_them():
    runner = ProtocolRunner("calcium_wave", {"n_cells": 6})
    axes = make_axes(["F=0.05*umolar/second,0.1*umolar/second", "O_delta=0.4*umolar/second,0.6*umolar/second",
                      "threshold=0.3*umolar,0.5*umolar"])
    runner.check(axes)
    assert runner.structural(axes) == ["F"]  # a junction constant (Synapses code): one run per value
    tasks, _ = plan_tasks(runner, axes, 0, workers=0)
    assert [t["indices"] for t in tasks] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    # one stream number per point: the seeds of a chunk's points are consecutive copies
    assert len({s for t in tasks for s in t["seeds"]}) == 8


def _same(a, b):
    """Equal numbers (NaN equal to NaN), or equal text."""
    try:
        return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)
    except (TypeError, ValueError):
        return repr(a) == repr(b)


def _direct(module, fixed, point, seed, build_seed):
    _release_previous_networks()
    gc.collect()
    _seed_build(build_seed)
    return module.run({**fixed, **point}, seed=seed)["summary"]


def _assert_same_as_points(res, runner, axes, fixed, names, sweep_seed):
    tasks, _ = plan_tasks(runner, axes, sweep_seed, chunk=len(res.done.ravel()), workers=0)
    assert len(tasks) >= 1 and max(len(t["points"]) for t in tasks) > 1  # batched chunks, not points one by one
    module = runner.module
    for task in tasks:
        for index, point, seed, build in zip(task["indices"], task["points"], task["seeds"], task["build_seeds"]):
            direct = _direct(module, fixed, point, seed, build)
            at = np.unravel_index(index, res.shape)
            for name in names:
                got = np.asarray(res.raw(name)[at], dtype=float)
                want = np.asarray(direct[name], dtype=float)
                assert np.array_equal(got.ravel()[: want.size].reshape(want.shape), want, equal_nan=True), (point, name)


def test_calcium_wave_sweep_equals_each_point_run_alone(tmp_path):
    fixed = {"n_cells": 8, "duration": "40*second", "dt": "100*ms", "record_dt": "500*ms"}
    grid = {"O_delta": "0.4*umolar/second,0.6*umolar/second", "I_bias": "1*umolar,1.5*umolar"}
    res = astrosim.sweep("calcium_wave", grid, fixed=fixed, workers=0, seed=4, out=tmp_path / "wave", progress=False)
    assert res.complete and res.shape == (2, 2)
    runner = ProtocolRunner("calcium_wave", fixed)
    _assert_same_as_points(res, runner, make_axes([f"{k}={v}" for k, v in grid.items()]), fixed,
                           ["arrival_s", "front_peak_uM", "cells_reached"], 4)
    arrival = res.raw("arrival_s")[..., 4]  # the stimulated cell: a higher clamp target reaches threshold sooner
    assert np.all(arrival[:, 1] < arrival[:, 0]) and arrival[0, 0] != arrival[1, 0]  # both per-copy axes act


@pytest.mark.slow  # compiles batched kernels of a large network (1-2.5 min with an empty cache)
def test_release_probability_sweep_equals_each_point_run_alone(tmp_path):
    fixed = {"duration": "2*second", "average_from": "1*second"}
    grid = {"rate": "5*Hz,20*Hz", "glu_latch": "0,1"}
    res = astrosim.sweep("release_probability", grid, fixed=fixed, workers=0, seed=2, out=tmp_path / "rp",
                         progress=False)
    assert res.complete and res.shape == (2, 2)
    runner = ProtocolRunner("release_probability", fixed)
    _assert_same_as_points(res, runner, make_axes([f"{k}={v}" for k, v in grid.items()]), fixed,
                           ["neuron_rate_Hz", "mean_AG_uM", "mean_PR", "max_Ca_uM"], 2)
    rates = res.raw("neuron_rate_Hz").mean(axis=-1)
    assert np.all(rates[1] > rates[0])  # 20 Hz input drives the neurons harder than 5 Hz in every column


def test_calcium_oscillations_sweep_equals_each_point_run_alone(tmp_path):
    fixed = {"duration": "60*second", "analysis_window": "30*second"}
    grid = ["k3_values=0.1*umolar,0.05*umolar", "ip3_values=0.5*umolar,0.8*umolar"]
    res = astrosim.sweep("calcium_oscillations", dict(g.split("=") for g in grid), fixed=fixed, workers=0, seed=1,
                         out=tmp_path / "osc", progress=False)
    assert res.complete and res.shape == (2, 2)
    runner = ProtocolRunner("calcium_oscillations", fixed)
    tasks, _ = plan_tasks(runner, make_axes(grid), 1, workers=0)
    assert [t["indices"] for t in tasks] == [[0, 1, 2, 3]]  # k3 and the level vary per copy: one batched run
    module = runner.module
    for point, seed, build, index in zip(tasks[0]["points"], tasks[0]["seeds"], tasks[0]["build_seeds"],
                                         tasks[0]["indices"]):
        direct = _direct(module, fixed, point, seed, build)
        key = f"k3={float(np.asarray(point['k3_values']) / 1e-3):g}"
        at = np.unravel_index(index, res.shape)
        for name in (f"{key} amplitude (uM)", f"{key} period (s)"):
            got = np.asarray(res.raw(name)[at], dtype=float).ravel()
            want = np.asarray(direct[name], dtype=float).ravel()
            assert np.array_equal(got[: want.size], want, equal_nan=True), (point, name)
    assert len(set(np.round(res.raw("k3=0.1 amplitude (uM)")[0].ravel(), 6))) == 2  # the level acts per copy


@pytest.mark.slow  # compiles batched kernels of a large network (1-2.5 min with an empty cache)
def test_gliotransmission_batches_equal_each_set_run_alone():
    from astrosim.protocols import gliotransmission as glio
    from astrosim.protocols._base import resolve

    # the rate steps (a network per set, run with the set's seed: copy_seed) are left out to save compiling
    base = {"sweep_duration": "1*second", "sweep_transient": "0.5*second", "steps_duration": "0*second",
            "delays": "[10, 100]*ms", "sweep_repeats": "2"}
    sets = [resolve(glio.PARAMETERS, {**base, **extra}, glio.NAME) for extra in
            ({"sweep_rates": "[1, 10]*Hz"},  # the second: other Gamma_S and rate count
             {"sweep_rates": "[5]*Hz", "gamma_values": "[0.1, 0.3, 0.5, 0.7, 0.9]"})]
    assert ProtocolRunner("gliotransmission").structure_of(sets[0]) == ProtocolRunner("gliotransmission").structure_of(sets[1])
    batched = glio.run_batch(sets, seed=77)
    offset = 0
    for p, got in zip(sets, batched):
        _release_previous_networks()
        gc.collect()
        want = glio.run(p, seed=(77 + 4 * offset))["summary"]
        offset += glio.copies(p)
        assert want.keys() == got.keys()
        for key in want:
            assert _same(want[key], got[key]), key
    assert batched[0]["ppr"] != batched[1]["ppr"]  # Gamma_S per copy took effect


def _synaptic_constant_build(g):
    src = NeuronGroup(1, "v : 1", threshold="True", name="src")
    dst = NeuronGroup(1, "v : 1", name="dst")
    syn = Synapses(src, dst, "w : 1", on_pre="v_post += g", namespace={"g": g}, name="syn")
    syn.connect()
    return Model([src, dst, syn], per_copy={"g": [(syn, "g")]}, measure=lambda sim: {"v": sim.get_states(dst, "v")})


def test_a_per_copy_constant_of_synapses_code_varies_per_copy():
    """A constant used in on_pre code takes each copy's value (it once kept copy 0's)."""
    runner = ModelRunner(_synaptic_constant_build, 1 * ms)
    one, two = runner.run_chunk([{"g": 1.0}, {"g": 2.0}], [1, 5], [0, 0])
    assert np.asarray(one["v"]).item() > 0
    np.testing.assert_allclose(np.asarray(two["v"]), 2 * np.asarray(one["v"]), rtol=1e-15)


def test_copy_seed_gives_an_unbatched_run_the_stream_of_a_batch_copy():
    from astrosim.engine.runtime import seed_states
    from astrosim.protocols._base import copy_seed
    from astrosim.sweep.seeds import chunk_seed

    assert copy_seed(chunk_seed(3, 10), 5) == chunk_seed(3, 15)
    assert np.array_equal(seed_states(copy_seed(99, 2), 1)[0], seed_states(99, 3)[2])
    assert copy_seed(None, 4) is None


def test_run_batch_refuses_sets_that_differ_in_a_structural_parameter():
    from astrosim.protocols import release_probability
    from astrosim.protocols._base import resolve

    sets = [resolve(release_probability.PARAMETERS, {"duration": d}, "release_probability")
            for d in ("150*second", "200*second")]
    with pytest.raises(ValueError, match="run_batch needs equal 'duration'"):
        release_probability.run_batch(sets, seed=1)


def test_a_folder_from_before_a_protocol_was_batched_is_a_different_sweep(tmp_path):
    from astrosim.sweep.store import index_record, prepare_folder, write_index

    runner = ProtocolRunner("calcium_wave", {"n_cells": 6})
    axes = make_axes(["O_delta=0.4*umolar/second,0.6*umolar/second"])
    runner.check(axes)
    tasks, chunk = plan_tasks(runner, axes, 0, workers=0)
    record = index_record(runner, axes, 0, chunk, tasks)
    old = dict(record, target={k: v for k, v in record["target"].items() if k != "batch_parameters"})
    write_index(tmp_path / "old", old)
    with pytest.raises(SweepInputError, match="holds a different sweep \\(its target differ"):
        prepare_folder(tmp_path / "old", record)
    assert prepare_folder(tmp_path / "old", old) == chunk  # the same sweep is accepted


def test_stdp_window_batches_its_rule_constants():
    """Sets that differ in the rule's constants (on_pre/on_post code) run as one batch, each copy
    equal to its set run alone (a deterministic protocol: exactly)."""
    from astrosim.protocols import stdp_window as stdp
    from astrosim.protocols._base import resolve

    base = {"max_delay": "20*ms", "delay_step": "10*ms"}
    sets = [resolve(stdp.PARAMETERS, {**base, **extra}, stdp.NAME) for extra in
            ({}, {"tau_pre": "10*ms", "A_pre": "0.02"}, {"tau_post": "30*ms", "A_post": "-0.005", "w_initial": "0.3"})]
    batched = stdp.run_batch(sets, seed=1)
    for p, got in zip(sets, batched):
        _release_previous_networks()
        gc.collect()
        want = stdp.run(p, seed=1)["summary"]
        for key in want:
            assert _same(want[key], got[key]), key
    assert batched[0]["dw_at_plus_min_delay"] != batched[1]["dw_at_plus_min_delay"]
