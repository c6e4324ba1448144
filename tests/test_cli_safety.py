"""Command-line safety: files never replaced or lost, every error one line with exit status 2."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import astrosim.io as aio


def _astrosim(*args, **kw):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "astrosim", *map(str, args)], capture_output=True, text=True,
                          env=env, **kw)


def _one_line_error(done, *needles):
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "Brian 2 encountered an unexpected error" not in done.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def test_protocol_refuses_existing_out_before_running(tmp_path):
    out = tmp_path / "keep.h5"
    out.write_bytes(b"precious data")
    done = _astrosim("protocol", "stdp_window", "--out", out)
    _one_line_error(done, "keep.h5", "exists", "--overwrite")
    assert out.read_bytes() == b"precious data"
    assert "simulat" not in done.stdout.lower()  # refused before any work


@pytest.mark.parametrize("option, value, needle", [
    ("--plot", "fig.txt", "'.txt' is not a known file type"),
    ("--plot", "missing_folder/fig.png", "does not exist"),
    ("--out", "missing_folder/run.h5", "does not exist"),
    ("--out", ".", "is a folder"),
])
def test_protocol_checks_paths_before_running(tmp_path, option, value, needle, capsys, monkeypatch):
    from astrosim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["protocol", "stdp_window", "--set", "max_delay=20*ms", option, value]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and needle in captured.err, captured
    assert list(tmp_path.iterdir()) == []


def test_protocol_overwrite_replaces_only_when_asked(tmp_path):
    out = tmp_path / "run.h5"
    out.write_bytes(b"old")
    done = _astrosim("protocol", "stdp_window", "--set", "max_delay=20*ms", "--out", out, "--overwrite", "--seed", 2)
    assert done.returncode == 0, done.stderr
    with aio.load(out) as rec:
        assert rec.status == "complete" and rec.metadata["seed"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["run.h5"]  # no partial file left behind


BAD_SCRIPTS = {
    "units": ('from brian2 import *\nG = NeuronGroup(5, "dv/dt = -v/(10*ms) + 3*mV : volt", method="euler",'
              ' name="cells")\nrun(1*ms)\n', ["units.py, line 3", "'cells'", "inconsistent units"]),
    "syntax": ('from brian2 import *\nG = NeuronGroup(5, "dv/dt = -v/(10*ms) + : 1")\nrun(1*ms)\n',
               ["syntax.py, line 2", "invalid syntax"]),
}


@pytest.mark.parametrize("kind", ["units", "syntax"])
def test_run_user_errors_are_one_line(tmp_path, kind):
    text, needles = BAD_SCRIPTS[kind]
    script = tmp_path / f"{kind}.py"
    script.write_text(text)
    done = _astrosim("run", script, "--out", tmp_path / "x.h5", "--no-progress")
    _one_line_error(done, *needles)
    assert not (tmp_path / "x.h5").exists()  # nothing ran, nothing written
    debug = _astrosim("run", script, "--no-progress", "--debug")
    assert debug.returncode == 2 and "Traceback" in debug.stderr


NAN_SCRIPT = """
from brian2 import *
G = NeuronGroup(4, "dv/dt = v/(0.01*ms) : 1", method="euler", name="blowup")
G.v = "1 + 1000 * int(i == 3)"
M = StateMonitor(G, "v", record=True, name="m")
run(100*ms)
"""


def test_nan_leaves_failed_file_with_reason(tmp_path):
    script = tmp_path / "nan.py"
    script.write_text(NAN_SCRIPT)
    out = tmp_path / "nan.h5"
    done = _astrosim("run", script, "--out", out, "--no-progress", "--seed", 1)
    _one_line_error(done, "nan.py, line 6", "blowup", "'v'", "NaN or infinite")
    with aio.load(out) as rec:
        assert rec.status == "failed" and not rec.complete
        for needle in ("blowup", "'v'", "index 3", "ms"):  # object, variable, index, time
            assert needle in rec.status_reason
        n = len(rec["m"])
        assert 0 < n < 1000 and abs(rec.t_complete - n * 1e-4) < 1e-9
    shown = _astrosim("inspect", out, "--no-model").stdout
    assert "status: FAILED" in shown and "every dataset complete up to t = " in shown


LONG_SCRIPT = textwrap.dedent("""
    from brian2 import *
    G = NeuronGroup(20, "dv/dt = (1 - v)/(8*ms) : 1", method="exact", name="cells")
    trace = StateMonitor(G, "v", record=True, name="trace")
    run(10000*second)
""")


def test_ctrl_c_leaves_interrupted_file(tmp_path):
    script = tmp_path / "long.py"
    script.write_text(LONG_SCRIPT)
    out = tmp_path / "long.h5"
    # Ctrl-C reaches the child even where this test runs with SIGINT ignored (a background job)
    proc = subprocess.Popen([sys.executable, "-m", "astrosim", "run", str(script), "--out", str(out),
                             "--flush-every", "0.2", "--no-progress"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                with aio.load(out) as live:
                    if len(live["trace"]) > 2000:
                        break
            except (FileNotFoundError, aio.H5FormatError, KeyError):
                continue
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=300)  # Ctrl-C during a numba compile waits for it to end
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    with aio.load(out) as rec:
        assert rec.status == "interrupted" and "Ctrl-C" in rec.status_reason
        n = len(rec["trace"])
        assert n > 2000 and abs(rec.t_complete - n * 1e-4) < 1e-9
        np.testing.assert_allclose(np.asarray(rec["trace"].t), np.arange(n) * 1e-4, atol=1e-12)


TWO_RUNS = textwrap.dedent("""
    from brian2 import *
    import numpy as np, sys
    G = NeuronGroup(30, "dv/dt = (v0 - v)/(8*ms) + 2*mV*xi/sqrt(ms) : volt\\nv0 : volt", threshold="v > 10*mV",
                    reset="v = 0*mV", method="euler", name="cells")
    G.v0 = "(5 + i) * mV"
    G.v = "rand() * 5 * mV"
    spikes = SpikeMonitor(G, name="spikes")
    trace = StateMonitor(G, "v", record=[0, 29], name="trace")
    rate = PopulationRateMonitor(G, name="rate")
    run(30*ms)
    first = [len(spikes.t), trace.v.shape[1]]
    run(20*ms)
    np.savez(sys.argv[0] + ".npz", first=first, t=spikes.t_[:], i=spikes.i[:], count=spikes.count[:],
             v=trace.v_[:], trace_t=trace.t_[:], rate=rate.rate_[:], n=spikes.num_spikes)
""")


def test_monitors_answered_from_file_and_rerun(tmp_path):
    """--out keeps nothing in the monitors during the run, yet the script's analysis sees the same data;
    rerun rebuilds it from the file alone with the stored seed (a stochastic model) identically."""
    script = tmp_path / "two.py"
    script.write_text(TWO_RUNS)
    plain = _astrosim("run", script, "--seed", 7, "--no-progress")
    assert plain.returncode == 0, plain.stderr
    ref = dict(np.load(str(script) + ".npz"))
    out = tmp_path / "two.h5"
    done = _astrosim("run", script, "--seed", 7, "--no-progress", "--out", out)
    assert done.returncode == 0, done.stderr
    got = np.load(str(script) + ".npz")
    for key, value in ref.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)
    assert ref["n"] > 0
    again = _astrosim("rerun", out, "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "every monitor identical" in again.stdout
    with aio.load(tmp_path / "two-rerun.h5") as rec:
        assert rec.metadata["seed"] == 7 and rec.metadata["user"]["rerun_of"] == "two.h5"
    with aio.load(out) as rec:  # names, not folders of this machine
        assert rec.metadata["script"] == "two.py" and rec.metadata["command"].startswith("astrosim run two.py")
        assert str(tmp_path) not in rec.metadata["command"]
    refused = _astrosim("rerun", out, "--no-progress")  # two-rerun.h5 exists now
    _one_line_error(refused, "exists")


MEMORY_SCRIPT = textwrap.dedent("""
    import os
    from brian2 import *
    G = NeuronGroup(2000, "dv/dt = (I - v)/(10*ms) : volt\\ndI/dt = -I/(50*ms) : volt", threshold="v > 15*mV",
                    reset="v = 0*mV; I += 2*mV", method="exact", name="cells")
    G.I = "20*mV * i / 2000"
    M = StateMonitor(G, ["v", "I"], record=True, name="states")
    S = SpikeMonitor(G, name="spikes")
    run(float(os.environ["DURATION"]) * second)
    assert M.N == int(round(float(os.environ["DURATION"]) / 1e-4))
""")


def _peak_rss_mb(script, out, duration):
    env = dict(os.environ, DURATION=str(duration), MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "astrosim", "run", str(script), "--out", str(out),
                             "--no-progress"], env=env, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read().decode()[-2000:]
    return usage.ru_maxrss / 1024


def test_recorded_run_memory_does_not_grow_with_duration(tmp_path):
    """All state of 2000 cells recorded: 0.3 s and 0.9 s simulated (92 MB / 275 MB of samples).

    0.3 s is past the engine's warm-up (its chunks grow to their bound during the first ~0.2 s);
    measured here: 0.1 / 0.3 / 1.0 s -> 315 / 354 / 357 MB peak RSS.
    """
    script = tmp_path / "mem.py"
    script.write_text(MEMORY_SCRIPT)
    short = _peak_rss_mb(script, tmp_path / "short.h5", 0.3)
    long = _peak_rss_mb(script, tmp_path / "long.h5", 0.9)
    raw_extra = 2 * 2000 * 6000 * 8 / 2 ** 20  # MB more samples in the long run (183 MB)
    assert long - short < 0.1 * raw_extra, (short, long, raw_extra)  # kept monitors would add ~all of it


def test_protocol_stopped_by_an_error_marks_its_file_and_keeps_the_old_one(tmp_path, capsys):
    """A streamed protocol run raising after its last chunk (as a NaN does): the new file says why,
    and with --overwrite the old file is left as it was."""
    import types

    import brian2 as b

    from astrosim.cli.protocol import run_protocol
    from astrosim.engine.errors import SimulationError

    def fake_run(overrides, seed=None, out=None, report=None):
        G = b.NeuronGroup(2, "v : 1", threshold="False", name="cells")
        net = b.Network(G, b.StateMonitor(G, "v", record=True, name="trace"))
        sim = types.SimpleNamespace(network=net, batch=None, seed=seed)
        rec = aio.H5Recorder(out)
        rec.on_run_start(sim, 0.01)
        rec.on_chunk(sim, {"trace": {"t": np.arange(10) * 1e-4, "v": np.ones((10, 2))}}, 1e-3)
        rec.on_run_end(sim)
        raise SimulationError("cells: state variable 'v' became NaN or infinite at index 1, t = 1 ms")

    module = types.SimpleNamespace(NAME="fake", run=fake_run)
    fresh = tmp_path / "fresh.h5"
    with pytest.raises(SimulationError):
        run_protocol(module, {}, 3, str(fresh))
    with aio.load(fresh) as rec:
        assert rec.status == "failed" and "index 1" in rec.status_reason and len(rec["trace"]) == 10
    old = tmp_path / "old.h5"
    old.write_bytes(b"previous results")
    with pytest.raises(SimulationError):
        run_protocol(module, {}, 3, str(old))
    assert old.read_bytes() == b"previous results"
    partial = [p for p in tmp_path.iterdir() if p.name.startswith("old.partial-")]
    assert len(partial) == 1 and "is unchanged" in capsys.readouterr().err
