"""Status attributes of recorded files, their description by ``inspect``, and readable quantities."""
import types

import numpy as np
import pytest

import astrosim.io as aio
from astrosim.io.describe import describe
from astrosim.io.quantities import human


def _net():
    import brian2 as b

    G = b.NeuronGroup(3, "v : volt", threshold="False", name="cells")
    M = b.StateMonitor(G, "v", record=True, name="trace")
    return b.Network(G, M)


def _feed(rec, sim, k0, k1):
    t = np.arange(k0, k1) * 1e-4
    rec.on_chunk(sim, {"trace": {"t": t, "v": np.zeros((k1 - k0, 3))}}, k1 * 1e-4)


def test_status_follows_the_run(tmp_path):
    path = tmp_path / "r.h5"
    sim = types.SimpleNamespace(network=_net(), batch=None, seed=4)
    rec = aio.H5Recorder(path, flush_every=0.0)
    rec.on_run_start(sim, 0.01)
    _feed(rec, sim, 0, 30)
    with aio.load(path) as live:  # read while writing
        assert live.status == "running" and live.t_complete == pytest.approx(30e-4)
    _feed(rec, sim, 30, 50)
    rec.on_run_end(sim)  # 5 ms of 10 ms: stopped early
    with aio.load(path) as done:
        assert done.status == "interrupted" and "before its end" in done.status_reason
        assert done.t_complete == pytest.approx(50e-4) and done.metadata["seed"] == 4
    rec.fail(RuntimeError("blowup: state variable 'v' became NaN\nat index 2"))
    with aio.load(path) as failed:
        assert failed.status == "failed" and not failed.complete
        assert failed.status_reason == "RuntimeError: blowup: state variable 'v' became NaN at index 2"
    lines = describe(path)
    assert lines[1] == ("status: FAILED: RuntimeError: blowup: state variable 'v' became NaN at index 2; "
                        "every dataset complete up to t = 5 ms")


def test_context_manager_marks_exceptions(tmp_path):
    path = tmp_path / "c.h5"
    sim = types.SimpleNamespace(network=_net(), batch=None, seed=None)
    with pytest.raises(ZeroDivisionError):
        with aio.H5Recorder(path) as rec:
            rec.on_run_start(sim, 0.01)
            _feed(rec, sim, 0, 100)
            rec.on_run_end(sim)
            1 / 0
    with aio.load(path) as r:
        assert r.status == "failed" and "ZeroDivisionError" in r.status_reason
        assert len(r["trace"]) == 100  # the data is kept


def test_human_quantities():
    import brian2 as b

    assert human(0.42 * b.ksecond) == "420 s"
    assert human(0.1 * b.ms) == "0.1 ms"
    assert human(200 * b.nmolar) == "200 nM"
    assert human(2.5 * b.umolar / b.second) == "2.5 uM/s"
    assert human(200 * b.metre ** 3 / b.second / b.mole) == "200 m^3 s^-1 mol^-1"
    assert human([1, 5] * b.Hz) == "[1, 5] Hz"
    assert human(0.123456) == "0.1235"
