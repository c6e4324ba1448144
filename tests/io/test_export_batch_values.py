"""A batched engine run records what each copy was given; exports name the copies by those values."""

import numpy as np
from brian2 import mV, ms

import astrosim
import astrosim.io as aio
from astrosim.io.batches import batch_labels, batch_values


def test_engine_batch_values_recorded_with_units(tmp_path, network_factory):
    net, mons, ns = network_factory()
    sim = astrosim.Simulator(net, batch=3, seed=1)
    sim.set_batch_values(net["neurons"], "tau", np.array([5.0, 10.0, 20.0]) * ms)  # a model parameter
    sim.set_batch_values(net["neurons"], "I", np.array([10.0, 12.0, 14.0]) * mV)  # an initial value
    path = tmp_path / "b.h5"
    sim.run(5 * ms, namespace=ns, listeners=[aio.H5Recorder(path, flush_every=0.0)])
    with aio.load(path) as rec:
        values = batch_values(rec)
        tau, tau_dims, tau_unit = values["neurons.tau"]
        np.testing.assert_allclose(tau, [0.005, 0.01, 0.02])
        assert tau_unit == "s" and list(tau_dims) == [0, 0, 1, 0, 0, 0, 0]
        current, _, current_unit = values["neurons.I"]
        np.testing.assert_allclose(np.asarray(current).reshape(3, -1)[:, 0], [0.010, 0.012, 0.014])
        assert current_unit == "V"
        assert rec.file["metadata/batch_values/neurons.I"].attrs["kind"] == "initial value"
        assert batch_labels(rec, 3) == ["I=10 mV, tau=5 ms", "I=12 mV, tau=10 ms", "I=14 mV, tau=20 ms"]
    block = aio.to_neo(path, monitors=["trace"])
    assert [seg.name for seg in block.segments] == ["I=10 mV, tau=5 ms", "I=12 mV, tau=10 ms", "I=14 mV, tau=20 ms"]


def test_copies_without_recorded_values_are_numbered(tmp_path, runfiles):
    net, mons, ns = runfiles.finished_network()
    path = tmp_path / "b.h5"
    runfiles.feed(aio.H5Recorder(path, flush_every=0.0), net, {"rate": mons["rate"]}, 0.04, batch=2)
    with aio.load(path) as rec:
        assert "batch_values" not in rec.file["metadata"]
        assert batch_labels(rec, 2) == ["copy 0", "copy 1"]
