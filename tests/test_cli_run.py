"""``astrosim run SCRIPT --out run.h5`` records an unmodified Brian2 script; ``astrosim inspect`` shows it."""
import subprocess
import sys
import textwrap

import numpy as np

import astrosim.io as aio

SCRIPT = textwrap.dedent(
    """
    from brian2 import *
    import numpy as np, sys
    tau = 8*ms
    G = NeuronGroup(30, "dv/dt = (v0 - v)/tau : volt\\nv0 : volt", threshold="v > 10*mV", reset="v = 0*mV",
                    method="exact", name="cells")
    G.v0 = "(5 + i) * mV"
    spikes = SpikeMonitor(G, name="spikes")
    trace = StateMonitor(G, "v", record=[0, 29], name="trace")
    run(50*ms)
    np.savez(sys.argv[0] + ".npz", t=spikes.t_[:], i=spikes.i[:], v=trace.v_[:])
    """
)


def _astrosim(*args):
    return subprocess.run([sys.executable, "-m", "astrosim", *map(str, args)], capture_output=True, text=True)


def test_run_records_script_and_inspect(tmp_path, capsys):
    from astrosim.cli import main

    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    out = tmp_path / "run.h5"
    done = _astrosim("run", script, "--out", out, "--seed", 3)
    assert done.returncode == 0, done.stderr
    assert "simulated" in done.stderr and "100.0%" in done.stderr  # the progress bar
    ref = np.load(str(script) + ".npz")  # what the script's own monitors held
    with aio.load(out) as rec:
        assert rec.complete
        np.testing.assert_array_equal(np.asarray(rec["spikes"].t), ref["t"])
        np.testing.assert_array_equal(rec["spikes"].i, ref["i"])
        np.testing.assert_array_equal(np.asarray(rec["trace"].v), ref["v"])
        meta = rec.metadata
        assert meta["seed"] == 3 and meta["script"] == script.name  # no absolute path
        assert meta["script_source"] == SCRIPT
        assert "astrosim run" in meta["command"]
        assert meta["model"]["cells"]["equations"].startswith("dv/dt = (v0 - v)/tau")

    before = out.read_bytes()
    assert main(["run", str(script), "--out", str(out)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before

    assert main(["inspect", str(out)]) == 0
    shown = capsys.readouterr().out
    for text in ("complete", "/monitors/spikes", "/monitors/trace", "unit=V", "unit=s", "brian2 2.9.0", "seed=3"):
        assert text in shown, text


LONG_SCRIPT = textwrap.dedent(
    """
    from brian2 import *
    G = NeuronGroup(50, "dv/dt = (v0 - v)/(8*ms) : volt\\nv0 : volt", threshold="v > 10*mV",
                    reset="v = 0*mV", method="exact", name="cells")
    G.v0 = "(5 + i) * mV"
    spikes = SpikeMonitor(G, name="spikes")
    trace = StateMonitor(G, "v", record=True, name="trace")
    run(1000*second)
    """
)


def test_killed_run_leaves_readable_file(tmp_path):
    """SIGKILL an `astrosim run` while it streams: the file opens and holds what was flushed."""
    import signal
    import time

    script = tmp_path / "long.py"
    script.write_text(LONG_SCRIPT)
    out = tmp_path / "long.h5"
    proc = subprocess.Popen([sys.executable, "-m", "astrosim", "run", str(script), "--out", str(out),
                             "--flush-every", "0.2", "--no-progress"], stderr=subprocess.PIPE, text=True)
    n_seen, deadline = 0, time.time() + 240
    try:
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.5)
            if out.exists():
                try:
                    with aio.load(out) as live:  # read while the writer runs (SWMR)
                        n_seen = len(live["trace"])
                except (aio.H5FormatError, KeyError):
                    continue
                if n_seen > 2000:
                    break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert n_seen > 2000, proc.stderr.read()[-2000:]
    with aio.load(out) as rec:
        assert not rec.complete
        assert rec.status == "running"  # killed: the last word the writer could say
        trace = rec["trace"]
        n = len(trace)
        assert n >= n_seen
        assert 0 < rec.t_complete <= n * 1e-4 + 1e-12  # every dataset holds data up to t_complete
        np.testing.assert_allclose(np.asarray(trace.t), np.arange(n) * 1e-4, atol=1e-12)
        v = np.asarray(trace.v)
        assert v.shape == (50, n) and np.all(np.isfinite(v)) and v.max() <= 0.0100001
        spikes = rec["spikes"]
        assert len(spikes) > 0 and np.all(np.diff(np.asarray(spikes.t)) >= 0)
        assert rec.metadata["script_source"] == LONG_SCRIPT
