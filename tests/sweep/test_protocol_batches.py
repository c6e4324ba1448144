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

BATCHED = {"calcium_vs_frequency", "release_probability", "stdp_window", "calcium_wave"}


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


def _synaptic_constant_build(g):
    src = NeuronGroup(1, "v : 1", threshold="True", name="src")
    dst = NeuronGroup(1, "v : 1", name="dst")
    syn = Synapses(src, dst, "w : 1", on_pre="v_post += g", namespace={"g": g}, name="syn")
    syn.connect()
    return Model([src, dst, syn], per_copy={"g": [(syn, "g")]}, measure=lambda sim: {"v": sim.get_states(dst, "v")})


def test_a_per_copy_constant_of_synapses_code_is_refused():
    runner = ModelRunner(_synaptic_constant_build, 1 * ms)
    with pytest.raises(SweepInputError, match="cannot vary per copy"):
        runner.run_chunk([{"g": 1.0}, {"g": 2.0}], [1, 5], [0, 0])
