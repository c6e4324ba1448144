"""Streaming into HDF5 while the compiled engine runs: equal to the monitors, batched, bounded memory."""
import numpy as np
import pytest
from brian2 import ms

import astrosim
import astrosim.io as aio
from astrosim.progress import ProgressBar


def _run_engine(build_network, listeners, duration=30 * ms, **sim_options):
    net, mons, ns = build_network()
    sim = astrosim.Simulator(net, seed=1, **sim_options)
    sim.run(duration, namespace=ns, listeners=listeners)
    return sim, net, mons, ns


def test_engine_run_streams_equal_monitors(tmp_path, network_factory):
    rec_path = tmp_path / "engine.h5"
    recorder = aio.H5Recorder(rec_path, flush_every=0.0, metadata={"seed": 1})
    bar = ProgressBar(stream=open(tmp_path / "progress.txt", "w"), min_interval=0.0)
    sim, net, mons, ns = _run_engine(network_factory, [recorder, bar])
    assert bar.lines and "100.0%" in bar.lines[-1] and "s/s" in bar.lines[-1]
    assert len(mons["spikes"].t) > 10
    with aio.load(rec_path) as rec:
        assert rec.complete
        for name, mon in mons.items():
            for var in rec[name].variables:
                theirs = getattr(mon, var)
                theirs = theirs[:] if type(theirs).__name__ == "VariableView" else theirs
                ours = getattr(rec[name], var)
                assert getattr(ours, "dim", None) == getattr(theirs, "dim", None), (name, var)
                np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs), err_msg=f"{name}.{var}")
        meta = rec.metadata
        assert meta["parameters"]["tau"] == 10 * ms
        assert meta["runs"][0][:2] == pytest.approx([0.0, 0.03])
        assert meta["wall_time"] > 0 and "dv/dt" in meta["model"]["neurons"]["equations"]


def test_engine_batched_stream_equals_monitor_data(tmp_path, network_factory):
    net, mons, ns = network_factory()
    sim = astrosim.Simulator(net, batch=3, seed=1)
    sim.set_batch_values(net["neurons"], "tau", np.array([5.0, 10.0, 20.0]) * ms)
    recorder = aio.H5Recorder(tmp_path / "b.h5", flush_every=0.0)
    sim.run(30 * ms, namespace=ns, listeners=[recorder])
    with aio.load(tmp_path / "b.h5") as rec:
        assert rec.metadata["batch"] == 3
        for name in ("trace", "weights"):
            ref = sim.monitor_data(mons[name])
            for var in rec[name].variables:
                if var == "t":
                    np.testing.assert_array_equal(np.asarray(rec[name].t), ref["t"])
                else:  # stored (B, k, n) like monitor_data; attribute access is Brian2's (B, n, k)
                    np.testing.assert_array_equal(rec[name].dataset(var)[()].astype(ref[var].dtype), ref[var])
        np.testing.assert_array_equal(np.asarray(rec["rate"].rate), sim.monitor_data(mons["rate"])["rate"])
        ref = sim.monitor_data(mons["spikes"])
        sp = rec["spikes"]
        batch = sp.batch
        for b in range(3):
            np.testing.assert_array_equal(np.sort(np.asarray(sp.t)[batch == b]), np.sort(ref["t"][b]))
            assert (np.asarray(sp.i)[batch == b]).tolist().count(11) == list(ref["i"][b]).count(11)
        counts = [np.sum(batch == b) for b in range(3)]
        assert counts[0] > counts[1] > counts[2] > 0  # shorter tau -> faster charging -> more spikes


def test_keep_in_monitors_false_still_records(tmp_path, network_factory):
    full = aio.H5Recorder(tmp_path / "full.h5", flush_every=0.0)
    _run_engine(network_factory, [full])
    lean = aio.H5Recorder(tmp_path / "lean.h5", flush_every=0.0)
    sim, net, mons, ns = _run_engine(network_factory, [lean], keep_in_monitors=False)
    assert len(mons["trace"].t) == 0  # nothing kept in Brian2's monitors
    with aio.load(tmp_path / "full.h5") as a, aio.load(tmp_path / "lean.h5") as b:
        for name in a.keys():
            for var in a[name].variables:
                np.testing.assert_array_equal(a[name].dataset(var)[()], b[name].dataset(var)[()])


def test_two_runs_append(tmp_path, network_factory):
    net, mons, ns = network_factory()
    sim = astrosim.Simulator(net, seed=1)
    recorder = aio.H5Recorder(tmp_path / "two.h5", flush_every=0.0)
    sim.run(10 * ms, namespace=ns, listeners=[recorder])
    sim.run(10 * ms, namespace=ns, listeners=[recorder])
    with aio.load(tmp_path / "two.h5") as rec:
        assert rec.complete and len(rec.metadata["runs"]) == 2
        np.testing.assert_array_equal(np.asarray(rec["trace"].v), np.asarray(mons["trace"].v))
        np.testing.assert_array_equal(np.asarray(rec["spikes"].t), np.asarray(mons["spikes"].t[:]))
