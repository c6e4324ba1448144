"""Sweeps in this process: chunking does not change results, an interrupted sweep resumes, loading."""
import os

import numpy as np
import pytest
from brian2 import second

import astrosim
from sweep_helpers import RESULTS, assert_same, run


class Stop(KeyboardInterrupt):
    """Stands for Ctrl-C."""


def test_reference_results_have_the_grid_axes(reference):
    assert reference.shape == (2, 6) and reference.run_info == {**reference.run_info, "tasks": 2, "ran": 2}
    assert reference["count"].shape == (2, 6) and reference["v_end"].shape == (2, 6, 4)
    assert reference["first_spike_t"].dim == second.dim
    counts = reference["count"]
    assert np.all(np.diff(counts, axis=1) >= 0) and counts[0, -1] > counts[1, -1] > 0  # more drive, more spikes
    assert np.allclose(reference.axes["I0"], np.linspace(0.8, 1.6, 6))


def test_one_point_per_task_equals_the_batched_chunks(tmp_path, reference):
    single = run(tmp_path / "s", chunk=1)
    assert single.run_info["tasks"] == 12
    assert_same(single, reference)


def test_interrupted_sweep_resumes_to_the_same_results(tmp_path, reference):
    out = tmp_path / "s"
    done = []

    def interrupt(task, reply):
        done.append(task["id"])
        if len(done) == 2:
            raise Stop

    with pytest.raises(Stop):
        run(out, chunk=2, on_shard=interrupt)
    partial = astrosim.io.load(out)
    assert not partial.complete and partial.done.sum() == 4
    assert np.isnan(partial.raw("count")[~partial.done]).all()
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "shards").iterdir()}
    assert len(stamps) == 2 and not [p for p in os.listdir(out / "shards") if p.endswith(".tmp")]
    resumed = run(out, chunk=5)  # the stored plan (chunk 2) is kept
    assert resumed.run_info["skipped"] == 2 and resumed.run_info["ran"] == 4 and resumed.run_info["chunk"] == 2
    assert {p.name: p.stat().st_mtime_ns for p in (out / "shards").iterdir() if p.name in stamps} == stamps
    assert_same(resumed, reference)
    again = run(out)
    assert again.run_info["ran"] == 0


def test_the_sweep_seed_changes_the_streams(tmp_path, reference):
    other = run(tmp_path / "s", chunk=6, seed=2)
    assert not np.array_equal(other.raw("v_end"), reference.raw("v_end"))


def test_load_gives_quantities_and_the_index(reference):
    res = astrosim.io.load(reference.path)
    assert isinstance(res, astrosim.sweep.SweepResults)
    assert set(RESULTS) <= set(res.names) and res.seed == 1
    assert res.target["kind"] == "model" and "noisy_lif" in res.target["build"]
    assert "tau[2]" in repr(res)
