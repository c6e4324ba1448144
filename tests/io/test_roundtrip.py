"""Round trips: Brian2 monitors -> save / streamed H5Recorder -> load, values and units equal."""
import numpy as np
import pytest
from brian2 import Quantity, mV, ms

import astrosim.io as aio
from astrosim.io.layout import state_chunks


def _assert_monitor_equal(rec, mon):
    """Every variable of the Brian2 monitor equals the loaded one, same unit, same dtype kind."""
    for var in rec.variables:
        if var == "batch":
            continue
        ours = getattr(rec, var)
        theirs = getattr(mon, var)
        if type(theirs).__name__ == "VariableView":
            theirs = theirs[:]
        assert np.shape(ours) == np.shape(theirs), (mon.name, var)
        if isinstance(theirs, Quantity):
            assert isinstance(ours, Quantity), (mon.name, var)
            assert ours.dim == theirs.dim, (mon.name, var)
        else:
            assert not isinstance(ours, Quantity) or ours.dim.is_dimensionless
        assert np.asarray(ours).dtype.kind == np.asarray(theirs).dtype.kind, (mon.name, var)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs), err_msg=f"{mon.name}.{var}")


def test_save_load_every_monitor_kind(tmp_path, finished_network, feeder):
    net, mons, ns = finished_network
    assert len(mons["spikes"].t) > 10 and len(mons["half_events"].t) > 10
    path = aio.save(tmp_path / "run.h5", list(mons.values()), metadata={"seed": 7, "namespace": ns, "amp": 2 * mV})
    with aio.load(path) as rec:
        assert rec.complete and rec.format_version == aio.FORMAT_VERSION
        assert set(rec.keys()) == set(mons)
        for name, mon in mons.items():
            _assert_monitor_equal(rec[name], mon)
        assert rec["trace"].high.dtype == bool
        np.testing.assert_array_equal(rec["trace"].record, [0, 5, 11])
        assert rec["spikes"].kind == "spikes" and rec["half_events"].kind == "events"
        assert rec["half_events"].attrs["event"] == "half"
        meta = rec.metadata
        assert meta["seed"] == 7 and meta["brian2_version"] and meta["numpy_version"]
        assert meta["parameters"]["tau"] == 10 * ms and meta["parameters"]["v_th"] == -50 * mV
        assert "dv/dt" in meta["model"]["neurons"]["equations"]
        assert meta["model"]["syn"]["on_pre"] == "v += w*mV"
        assert meta["clocks"]["defaultclock"]["dt"] == pytest.approx(1e-4)
        assert meta["user"]["amp"] == 2 * mV
        assert meta["duration"] == pytest.approx(0.04)


def test_streamed_equals_monitors(tmp_path, finished_network, feeder):
    net, mons, ns = finished_network
    recorder = aio.H5Recorder(tmp_path / "s.h5", metadata={"namespace": ns}, flush_every=0.0)
    feeder(recorder, net, mons, 0.04, n_chunks=7)
    with aio.load(tmp_path / "s.h5") as rec:
        assert rec.complete
        for name, mon in mons.items():
            _assert_monitor_equal(rec[name], mon)
        assert rec.metadata["seed"] == 123  # taken from the simulator
        assert rec.metadata["runs"][0][:2] == pytest.approx([0.0, 0.04])


def test_streamed_batched(tmp_path, finished_network, feeder):
    net, mons, ns = finished_network
    B = 3
    recorder = aio.H5Recorder(tmp_path / "b.h5", flush_every=0.0)
    feeder(recorder, net, mons, 0.04, n_chunks=4, batch=B)
    with aio.load(tmp_path / "b.h5") as rec:
        tr = rec["trace"]
        assert tr.batch_size == B and tr.v.shape == (B, 3, len(mons["trace"].t))
        for b in range(B):
            np.testing.assert_array_equal(np.asarray(tr.v[b]), np.asarray(mons["trace"].v) + b)
            np.testing.assert_array_equal(tr.n_spikes[b], mons["trace"].n_spikes)
        assert rec["rate"].rate.shape == (B, len(mons["rate"].t))
        sp = rec["spikes"]
        n = len(mons["spikes"].t)
        np.testing.assert_array_equal(np.bincount(sp.batch), [n] * B)
        mask = sp.batch == 2
        np.testing.assert_array_equal(np.asarray(sp.v)[mask], np.asarray(mons["spikes"].v) + 2)
        np.testing.assert_array_equal(np.asarray(sp.t)[mask], np.asarray(mons["spikes"].t))


def test_lazy_slices(tmp_path, finished_network, feeder):
    net, mons, ns = finished_network
    aio.save(tmp_path / "r.h5", mons)
    with aio.load(tmp_path / "r.h5") as rec:
        v = rec["trace"].read("v", t_start=10 * ms, t_stop=20 * ms, indices=[2, 0])
        t = np.asarray(mons["trace"].t)
        sel = (t >= 0.010 - 1e-12) & (t < 0.020 - 1e-12)
        np.testing.assert_array_equal(np.asarray(v), np.asarray(mons["trace"].v)[[2, 0]][:, sel])
        st = rec["spikes"].read("t", t_start=10 * ms, t_stop=30 * ms, indices=[11])
        ref = np.asarray(mons["spikes"].t)
        keep = (ref >= 0.01) & (ref < 0.03) & (np.asarray(mons["spikes"].i) == 11)
        np.testing.assert_array_equal(np.asarray(st), ref[keep])


def test_many_chunks_not_aligned(tmp_path, finished_network, feeder):
    """Chunks of 1 sample each, flushed every time, still give the same data."""
    net, mons, ns = finished_network
    recorder = aio.H5Recorder(tmp_path / "c.h5", flush_every=0.0)
    feeder(recorder, net, {"trace": mons["trace"], "spikes": mons["spikes"]}, 0.04, n_chunks=150)
    with aio.load(tmp_path / "c.h5") as rec:
        _assert_monitor_equal(rec["trace"], mons["trace"])
        _assert_monitor_equal(rec["spikes"], mons["spikes"])


def test_state_chunks_bound_memory_and_reads():
    rows, cols = state_chunks(10_000, 8)
    assert cols == 128 and rows * 10_000 * 8 <= 4 * 1024 * 1024 + 16 * 10_000 * 8
    assert state_chunks(3, 8) [1] == 3
    assert state_chunks(50, 8, batch=4)[0] == 1


def test_subgroups_empty_records_and_second_clock(tmp_path):
    import brian2 as b

    G = b.NeuronGroup(5, "dv/dt = (2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact", name="g")
    sub = G[2:4]
    slow = b.Clock(1 * b.ms, name="slow")
    mons = [b.StateMonitor(G, "v", record=False, name="empty"), b.SpikeMonitor(sub, name="subspikes"),
            b.StateMonitor(sub, "v", record=True, name="subtrace"),
            b.StateMonitor(G, "v", record=[1], clock=slow, name="slowtrace")]
    b.Network(G, *mons).run(20 * ms)
    aio.save(tmp_path / "e.h5", mons)
    with aio.load(tmp_path / "e.h5") as rec:
        for mon in mons:
            _assert_monitor_equal(rec[mon.name], mon)
        assert rec["empty"].v.shape == (0, 200)
        assert rec["slowtrace"].dt == pytest.approx(1e-3) and len(rec["slowtrace"]) == 20
        assert rec["subspikes"].source_size == 2 and set(rec["subspikes"].i) <= {0, 1}
        assert rec.metadata["clocks"]["slow"]["dt"] == pytest.approx(1e-3)
        assert "g" in rec.metadata["model"]
