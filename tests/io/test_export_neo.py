"""`astrosim.io.to_neo`: SpikeTrains and AnalogSignals with units and the right window; the Elephant example."""
import pathlib
import re

import h5py
import numpy as np
import pytest

neo = pytest.importorskip("neo", reason="the export extra (pip install -e '.[export]') is not installed")
pq = pytest.importorskip("quantities")

import astrosim.io as aio  # noqa: E402

DOC = pathlib.Path(__file__).parents[2] / "docs" / "export.md"


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    """0.5 s of 20 noisy LIF neurons (Brian2, numpy target) saved to ``run.h5``."""
    import brian2 as b

    b.prefs.codegen.target = "numpy"
    b.defaultclock.dt = 0.1 * b.ms
    b.seed(11)
    G = b.NeuronGroup(20, "dv/dt = (I - v)/(10*ms) + 3*mV*xi/sqrt(ms) : volt\nI : volt",
                      threshold="v > 10*mV", reset="v = 0*mV", method="euler", name="neurons")
    G.I = "11*mV + 4*mV*i/19"
    mons = [b.SpikeMonitor(G, name="spikes"), b.StateMonitor(G, "v", record=[0, 1, 2], name="trace"),
            b.PopulationRateMonitor(G, name="rate")]
    net = b.Network(G, *mons)
    net.run(0.5 * b.second)
    path = tmp_path_factory.mktemp("neo") / "run.h5"
    aio.save(path, mons, metadata={"seed": 11})
    return path


def test_spike_trains_and_signals_match_the_file(run_files):
    src = run_files["recorded"]
    block = aio.to_neo(src)
    assert block.annotations["status"] == "complete" and block.annotations["seed"] == 3
    (seg,) = block.segments
    with h5py.File(src, "r") as f:
        t, i = f["monitors/spikes/t"][()], f["monitors/spikes/i"][()]
        v_at_spike = f["monitors/spikes/v"][()]
        assert len(seg.spiketrains) == 12
        for st in seg.spiketrains:
            n = st.annotations["node_id"]
            np.testing.assert_array_equal(st.rescale(pq.s).magnitude, np.sort(t[i == n]))
            assert st.t_start == 0 * pq.s and st.t_stop == 0.04 * pq.s
            assert st.annotations["group"] == "neurons" and st.annotations["monitor"] == "spikes"
            np.testing.assert_array_equal(st.array_annotations["v"], v_at_spike[i == n])
            assert st.annotations["v_unit"] == "V"
        signals = {sig.name: sig for sig in seg.analogsignals}
        v = signals["trace.v"]
        assert v.units == pq.V and v.sampling_period == 0.1 * pq.ms and v.t_start == 0 * pq.s
        np.testing.assert_array_equal(v.magnitude, f["monitors/trace/v"][()])
        np.testing.assert_array_equal(v.array_annotations["index"], [0, 5, 11])
        assert signals["rate.rate"].units == pq.Hz
        np.testing.assert_array_equal(signals["rate.rate"].magnitude[:, 0], f["monitors/rate/rate"][()])
        assert signals["trace.x"].units == pq.dimensionless


def test_killed_run_trains_end_where_the_data_is_complete(run_files, runfiles):
    src = run_files["killed"]
    block = aio.to_neo(src)
    with h5py.File(src, "r", swmr=True) as f:
        t_stop = runfiles.killed_t_stop(f)  # t_complete, or where every monitor's data ends
        spikes = f["monitors/spk/t"][()]
    (seg,) = block.segments
    assert block.annotations["status"] in ("running", "interrupted")
    for st in seg.spiketrains:
        assert float(st.t_stop.rescale(pq.s)) == pytest.approx(t_stop)
    assert sum(len(st) for st in seg.spiketrains) == int(np.sum(spikes < t_stop - 1e-9))
    v = next(s for s in seg.analogsignals if s.name == "trace.v")
    assert float(v.t_stop.rescale(pq.s)) == pytest.approx(t_stop)


def test_batched_run_has_one_segment_per_copy(run_files):
    block = aio.to_neo(run_files["batched"], monitors=["spikes", "trace"])
    assert [seg.name for seg in block.segments] == ["tau=5 ms", "tau=10 ms", "tau=20 ms"]
    with h5py.File(run_files["batched"], "r") as f:
        for copy, seg in enumerate(block.segments):
            assert seg.annotations["batch_copy"] == copy and len(seg.spiketrains) == 12
            v = next(s for s in seg.analogsignals if s.name == "trace.v")
            np.testing.assert_array_equal(v.magnitude, f["monitors/trace/v"][copy])
            assert not any(s.name == "rate.rate" for s in seg.analogsignals)  # not selected
    with pytest.raises(ValueError, match="no monitor nope"):
        aio.to_neo(run_files["batched"], monitors=["nope"])


def test_documented_elephant_example_runs(noisy_run, monkeypatch):
    text = DOC.read_text()
    section = text[text.index("### Neo and Elephant"):text.index("### SONATA")]
    code = re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]
    monkeypatch.chdir(noisy_run.parent)
    scope = {}
    exec(compile(code, str(DOC), "exec"), scope)
    with h5py.File(noisy_run, "r") as f:
        t, i = f["monitors/spikes/t"][()], f["monitors/spikes/i"][()]
    assert len(t) > 100
    for n, rate in enumerate(scope["rates"]):  # rate = count / 0.5 s
        assert float(rate) == pytest.approx(np.sum(i == n) / 0.5)
    for n, value in scope["cvs"].items():
        intervals = np.diff(np.sort(t[i == n]))
        assert value == pytest.approx(intervals.std() / intervals.mean())
    assert len(scope["cvs"]) >= 10
    a, b = scope["a"], scope["b"]
    counts = [np.histogram(st.rescale(pq.s).magnitude, bins=500, range=(0, 0.5))[0] for st in (a, b)]
    expected = {lag: int(np.sum(counts[0][max(0, -lag):500 - max(0, lag)] * counts[1][max(0, lag):500 + min(0, lag)]))
                for lag in range(-20, 21)}
    got = dict(zip(np.asarray(scope["lags"]).tolist(), scope["cch"].magnitude[:, 0].tolist()))
    assert got == pytest.approx(expected)
    assert scope["v"].units == pq.V and scope["v"].shape == (5000, 3)


def test_window_from_runs_and_t_complete(run_files, tmp_path):
    """Runs that start later than t = 0 and a ``t_complete`` bound the exported window on both ends."""
    import json

    from astrosim.io.h5file import open_file

    src = tmp_path / "window.h5"
    src.write_bytes(run_files["recorded"].read_bytes())
    with open_file(src) as f:
        f["metadata"].attrs["runs"] = json.dumps([[0.01, 0.03, 1.0]])
        f.attrs["t_complete"] = 0.03
    (seg,) = aio.to_neo(src).segments
    with h5py.File(src, "r") as f:
        t_rows = f["monitors/trace/t"][()]
        rows = (t_rows >= 0.01 - 1e-12) & (t_rows < 0.03 - 1e-12)
        v = next(s for s in seg.analogsignals if s.name == "trace.v")
        np.testing.assert_array_equal(v.magnitude, f["monitors/trace/v"][()][rows])
        assert float(v.t_start.rescale(pq.s)) == pytest.approx(0.01)
        t, i = f["monitors/spikes/t"][()], f["monitors/spikes/i"][()]
    keep = (t >= 0.01) & (t < 0.03)
    assert 0 < keep.sum() < len(t)
    for st in seg.spiketrains:
        assert float(st.t_start.rescale(pq.s)) == pytest.approx(0.01)
        assert float(st.t_stop.rescale(pq.s)) == pytest.approx(0.03)
        np.testing.assert_array_equal(st.magnitude, np.sort(t[keep & (i == st.annotations["node_id"])]))
