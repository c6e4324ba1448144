"""File safety: SIGKILL mid-run keeps flushed data, no silent overwrite, clear errors for bad files."""
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

import astrosim.io as aio

# Writer child: streams an ever-growing run (v = 1e-3 * step for every cell) and reports flushes.
_CHILD = textwrap.dedent(
    """
    import sys, types
    import numpy as np
    import brian2 as b
    import astrosim.io as aio

    b.prefs.codegen.target = "numpy"
    G = b.NeuronGroup(300, "v : volt", threshold="False", name="cells")
    M = b.StateMonitor(G, "v", record=True, name="trace")
    S = b.SpikeMonitor(G, name="spk")
    net = b.Network(G, M, S)
    sim = types.SimpleNamespace(network=net, batch=None, seed=5)
    rec = aio.H5Recorder(sys.argv[1], flush_every=0.0, metadata={"command": "child"})
    rec.on_run_start(sim, 1e9)
    step = 0
    while True:
        k = 37
        steps = np.arange(step, step + k)
        t = steps * 1e-4
        v = np.repeat((steps * 1e-3)[:, None], 300, axis=1)
        spikes = {"t": np.repeat(t, 2), "i": np.tile(np.array([3, 7], dtype=np.int32), k)}
        rec.on_chunk(sim, {"trace": {"t": t, "v": v}, "spk": spikes}, float(t[-1] + 1e-4))
        rec.flush()
        step += k
        print(step, flush=True)
    """
)


def test_sigkill_mid_run_leaves_readable_file(tmp_path):
    path = tmp_path / "killed.h5"
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
    flushed = 0
    deadline = time.time() + 60
    try:
        while flushed < 37 * 30 and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            flushed = int(line)
        time.sleep(0.05)  # let it be somewhere inside the next write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert flushed >= 37 * 30, "the writer did not get going"
    with aio.load(path) as rec:
        assert not rec.complete
        trace = rec["trace"]
        n = len(trace)
        assert n >= flushed  # everything up to the last reported flush is there
        v = np.asarray(trace.v)
        assert v.shape == (300, n)
        np.testing.assert_allclose(v, np.repeat((np.arange(n) * 1e-3)[None, :], 300, axis=0))
        np.testing.assert_allclose(np.asarray(trace.t), np.arange(n) * 1e-4)
        spk = rec["spk"]
        assert len(spk) >= 2 * flushed
        np.testing.assert_array_equal(spk.i[: 2 * flushed], np.tile([3, 7], flushed))
        assert rec.metadata["command"] == "child"


def test_refuses_to_overwrite(tmp_path, finished_network):
    net, mons, ns = finished_network
    path = tmp_path / "x.h5"
    aio.save(path, [mons["rate"]])
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite"):
        aio.save(path, [mons["rate"]])
    with pytest.raises(FileExistsError, match="overwrite"):
        aio.H5Recorder(path)
    assert path.read_bytes() == before
    aio.save(path, [mons["trace"]], overwrite=True)
    with aio.load(path) as rec:
        assert list(rec.keys()) == ["trace"]


def test_truncated_file_clear_error(tmp_path, finished_network):
    net, mons, ns = finished_network
    path = tmp_path / "full.h5"
    aio.save(path, mons)
    data = path.read_bytes()
    for cut in (len(data) - 2000, len(data) // 2, 100, 0):
        bad = tmp_path / f"cut{cut}.h5"
        bad.write_bytes(data[:cut])
        with pytest.raises(aio.H5FormatError, match=str(bad.name)):
            with aio.load(bad) as rec:  # metadata and data must fail clearly too, not deep inside
                for m in rec.monitors.values():
                    for var in m.variables:
                        getattr(m, var)


def test_foreign_files_clear_error(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("hello, this is not HDF5\n" * 50)
    with pytest.raises(aio.H5FormatError, match="not an HDF5 file"):
        aio.load(text)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(aio.H5FormatError, match="not an astrosim recording"):
        aio.load(other)
    newer = tmp_path / "newer.h5"
    with h5py.File(newer, "w") as f:
        f.attrs["format"] = aio.FORMAT_NAME
        f.attrs["format_version"] = aio.FORMAT_VERSION + 1
        f.create_group("monitors")
    with pytest.raises(aio.H5FormatError, match="format_version"):
        aio.load(newer)
    with pytest.raises(FileNotFoundError):
        aio.load(tmp_path / "missing.h5")


def test_failed_run_not_marked_complete(tmp_path, finished_network, feeder):
    net, mons, ns = finished_network
    recorder = aio.H5Recorder(tmp_path / "f.h5", flush_every=0.0)
    with pytest.raises(RuntimeError, match="simulated failure"):
        feeder(recorder, net, {"trace": mons["trace"]}, 0.04, n_chunks=4, stop_after=2)
    with aio.load(tmp_path / "f.h5") as rec:
        assert not rec.complete
        n = len(rec["trace"])
        assert 0 < n < len(mons["trace"].t)
        np.testing.assert_array_equal(np.asarray(rec["trace"].v), np.asarray(mons["trace"].v)[:, :n])


def test_recorder_memory_is_bounded(tmp_path):
    """10,000 cells x 3 variables streamed in 100-step chunks: the recorder's own allocations stay
    below a few row-of-chunks buffers however many chunks arrive (~290 MB of raw data here)."""
    import tracemalloc
    import types

    import brian2 as b

    G = b.NeuronGroup(10_000, "v : volt\ng : siemens\nx : 1", threshold="False", name="big")
    M = b.StateMonitor(G, ["v", "g", "x"], record=True, name="all")
    net = b.Network(G, M)
    sim = types.SimpleNamespace(network=types.SimpleNamespace(objects=net.objects, t_=0.0), batch=None)
    rec = aio.H5Recorder(tmp_path / "big.h5", flush_every=0.5)
    steps = 100
    block = np.tile(np.linspace(-0.07, -0.05, 10_000), (steps, 1))  # reused: the feeder allocates nothing
    rows = {"v": block, "g": block * 1e-9, "x": block * 0.0}
    rec.on_run_start(sim, 1.0)
    tracemalloc.start()
    peaks = []
    for c in range(12):
        t = (np.arange(steps) + c * steps) * 1e-4
        rec.on_chunk(sim, {"all": dict(rows, t=t)}, float(t[-1] + 1e-4))
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
    tracemalloc.stop()
    rec.on_run_end(sim)
    raw = 12 * steps * 10_000 * 3 * 8 / 2**20
    assert raw > 250
    print("recorder peak MB per chunk:", [round(p, 1) for p in peaks])
    assert max(peaks) < 40, peaks  # MB allocated by the recorder at its peak
    assert max(peaks[6:]) <= 1.2 * max(peaks[:6]) + 2, peaks  # no growth with the data written
    with aio.load(tmp_path / "big.h5") as done:
        assert done["all"].dataset("v").shape == (12 * steps, 10_000)
        np.testing.assert_array_equal(done["all"].dataset("v")[-1], block[0])


def test_killed_writer_rows_past_the_last_flush_are_not_read(tmp_path, finished_network, feeder):
    """A writer killed inside a flush can leave ``t`` longer than ``v`` and rows past ``t_complete``."""
    net, mons, ns = finished_network
    path = tmp_path / "k.h5"
    recorder = aio.H5Recorder(path, flush_every=0.0)
    with pytest.raises(RuntimeError, match="simulated failure"):
        feeder(recorder, net, {"trace": mons["trace"], "spikes": mons["spikes"]}, 0.04, n_chunks=4, stop_after=2)
    with aio.load(path) as rec:
        n_good, t_good = len(rec["trace"]), rec.t_complete
        n_spikes = len(rec["spikes"])
    assert 0 < n_good and n_spikes > 0
    with h5py.File(path, "a") as f:  # what a kill half-way through the next flush leaves behind
        f.attrs["status"] = "running"
        trace, spikes = f["monitors/trace"], f["monitors/spikes"]
        trace["t"].resize(n_good + 25, axis=0)
        trace["t"][n_good:] = t_good + np.arange(25) * 1e-4
        trace["v"].resize(n_good + 10, axis=0)  # v got only part of the way, its rows are unfilled
        for var in spikes:
            spikes[var].resize(n_spikes + 5, axis=0)
        spikes["t"][n_spikes:] = t_good + 1e-3
    with aio.load(path) as rec:
        assert not rec.complete
        assert len(rec["trace"]) == n_good
        assert np.asarray(rec["trace"].v).shape[1] == n_good
        np.testing.assert_array_equal(np.asarray(rec["trace"].v), np.asarray(mons["trace"].v)[:, :n_good])
        assert len(rec["spikes"]) == n_spikes == len(rec["spikes"].i)
        assert len(rec["trace"].read("v", t_start=0.0, t_stop=1.0)[0]) == n_good
