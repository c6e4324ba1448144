"""File safety: SIGKILL mid-run keeps flushed data, no silent overwrite, clear errors for bad files."""
import os
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
