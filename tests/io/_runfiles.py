"""Run files for the compatibility and export tests: recorded, batched, saved, failed, killed, recovered.

Test modules load this file by path (pytest runs in importlib mode): see `load` in them.
"""
import importlib.util
import json
import pathlib
import signal
import subprocess
import sys
import textwrap
import time
import types

import numpy as np

HERE = pathlib.Path(__file__).parent

#: per-copy values of the batched file (copy k: tau = BATCH_TAU[k] seconds)
BATCH_TAU = np.array([0.005, 0.01, 0.02])

# Writer child killed mid-run: streams a trace, spikes and a rate, printing each flushed step.
WRITER_CHILD = textwrap.dedent(
    """
    import sys, types
    import numpy as np
    import brian2 as b
    import astrosim.io as aio

    b.prefs.codegen.target = "numpy"
    G = b.NeuronGroup(50, "v : volt", threshold="False", reset="", name="cells")
    M = b.StateMonitor(G, "v", record=True, name="trace")
    S = b.SpikeMonitor(G, name="spk")
    R = b.PopulationRateMonitor(G, name="rate")
    net = b.Network(G, M, S, R)
    sim = types.SimpleNamespace(network=net, batch=None, seed=5)
    rec = aio.H5Recorder(sys.argv[1], flush_every=0.0, metadata={"command": "child"})
    rec.on_run_start(sim, 1e9)
    step = 0
    while True:
        k = 20
        t = np.arange(step, step + k) * 1e-4
        v = np.repeat((np.arange(step, step + k) * 1e-3)[:, None], 50, axis=1)
        spikes = {"t": np.repeat(t, 2), "i": np.tile(np.array([3, 7], dtype=np.int32), k)}
        rec.on_chunk(sim, {"trace": {"t": t, "v": v}, "spk": spikes, "rate": {"t": t, "rate": t * 0 + 5.0}},
                     float(t[-1] + 1e-4))
        rec.flush()
        step += k
        print(step, flush=True)
    """
)


def _conftest():
    spec = importlib.util.spec_from_file_location("astrosim_tests_io_conftest", HERE / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def finished_network():
    """The conftest network (every monitor kind) run for 40 ms with Brian2's numpy target."""
    import brian2 as b

    b.prefs.codegen.target = "numpy"
    b.defaultclock.dt = 0.1 * b.ms
    net, mons, ns = _conftest().build_network()
    net.run(40 * b.ms, namespace=ns)
    return net, mons, ns


def feed(listener, net, monitors, duration, n_chunks=4, batch=0, batch_params=None, stop_after=None):
    """Play finished monitors to ``listener`` as the engine would (batched: copy b adds b to floats)."""
    conf = _conftest()
    network = types.SimpleNamespace(objects=net.objects, t_=0.0)
    sim = types.SimpleNamespace(network=network, batch=batch or None, seed=123,
                                _batch_params=dict(batch_params or {}), _batch_init={})
    listener.on_run_start(sim, duration)
    edges = np.linspace(0, duration, n_chunks + 1)
    edges[-1] = np.inf
    rows = {name: conf.monitor_rows(m) for name, m in monitors.items()}
    try:
        for c in range(n_chunks):
            if stop_after is not None and c == stop_after:
                raise RuntimeError("simulated failure")
            data = {}
            for name, r in rows.items():
                keep = (r["t"] >= edges[c] - 1e-12) & (r["t"] < edges[c + 1] - 1e-12)
                data[name] = conf.batched({k: v[keep] for k, v in r.items()}, monitors[name], batch)
            listener.on_chunk(sim, data, float(min(edges[c + 1], duration)))
    finally:
        listener.on_run_end(sim)


def start_writer(path, workdir, min_steps=200):
    """Start the writer child on ``path``; return ``(process, flushed steps)`` after ``min_steps``."""
    script = pathlib.Path(workdir) / "writer_child.py"
    script.write_text(WRITER_CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    flushed, deadline = 0, time.time() + 60
    while flushed < min_steps and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        flushed = int(line)
    return proc, flushed


def kill(proc):
    """SIGKILL the child and reap it."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


def make_run_files(directory, kinds=("recorded", "batched", "saved", "failed", "killed", "recovered")):
    """Write the requested run files into ``directory``; returns ``({kind: path}, (net, mons, ns))``."""
    import astrosim.io as aio
    from astrosim.io.recover import recover

    directory = pathlib.Path(directory)
    net, mons, ns = finished_network()
    files = {}
    if "recorded" in kinds:
        files["recorded"] = directory / "recorded.h5"
        feed(aio.H5Recorder(files["recorded"], flush_every=0.0, metadata={"seed": 3, "namespace": ns}),
             net, mons, 0.04)
    if "batched" in kinds:
        files["batched"] = directory / "batched.h5"
        feed(aio.H5Recorder(files["batched"], flush_every=0.0, metadata={"namespace": ns}), net, mons, 0.04,
             batch=3, batch_params={("neurons", "tau"): BATCH_TAU})
    if "saved" in kinds:
        files["saved"] = directory / "saved.h5"
        aio.save(files["saved"], mons, metadata={"namespace": ns, "seed": 4})
    if "failed" in kinds:
        files["failed"] = directory / "failed.h5"
        try:
            feed(aio.H5Recorder(files["failed"], flush_every=0.0), net, {"trace": mons["trace"]}, 0.04,
                 stop_after=2)
        except RuntimeError:
            pass
    if "killed" in kinds or "recovered" in kinds:
        files["killed"] = directory / "killed.h5"
        proc, flushed = start_writer(files["killed"], directory)
        time.sleep(0.05)
        kill(proc)
        if flushed < 200:
            raise RuntimeError("the writer child did not get going")
        if "recovered" in kinds:
            files["recovered"] = directory / "recovered.h5"
            recover(files["killed"], out=files["recovered"])
    return files, (net, mons, ns)


def shared_run_files(tmp_path_factory):
    """`make_run_files` once per test session (a marker file says the set is complete). Read only."""
    directory = tmp_path_factory.getbasetemp() / "astrosim-run-files"
    done = directory / "done.json"
    if not done.exists():
        directory.mkdir(exist_ok=True)
        files, _ = make_run_files(directory)
        done.write_text(json.dumps({k: str(v) for k, v in files.items()}))
    return {k: pathlib.Path(v) for k, v in json.loads(done.read_text()).items()}


def killed_t_stop(f):
    """Where a killed file's trusted data ends: its ``t_complete`` attribute, else the earliest data end."""
    if "t_complete" in f.attrs:
        return float(f.attrs["t_complete"])
    return float(min(f["monitors/trace/t"][-1], f["monitors/rate/t"][-1])) + 1e-4
