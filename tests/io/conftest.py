"""Fixtures for the HDF5 tests: a small network with every monitor kind, an engine-like chunk feeder,
the shared run files (recorded, batched, saved, failed, killed, recovered) and the CLI in-process."""
import importlib.util
import pathlib
import types

import numpy as np
import pytest


def build_network():
    """Neurons (volt, boolean, integer, dimensionless variables), synapses, every monitor kind."""
    import brian2 as b

    tau = 10 * b.ms
    v_th = -50 * b.mV
    G = b.NeuronGroup(
        12,
        """dv/dt = (-70*mV - v + I)/tau : volt
           I : volt
           x : 1
           high = v > -60*mV : boolean
           n_spikes : integer""",
        threshold="v > v_th",
        reset="v = -70*mV; n_spikes += 1",
        events={"half": "v > -60*mV"},
        method="euler",
        name="neurons",
    )
    G.v = -70 * b.mV
    G.I = "10*mV + i * 3 * mV"
    G.x = "i / 12.0"
    S = b.Synapses(G, G, "w : 1", on_pre="v += w*mV", name="syn")
    S.connect(j="(i + 1) % 12")
    S.w = "0.3 + 0.01*i"
    mons = [
        b.SpikeMonitor(G, variables=["v", "n_spikes"], name="spikes"),
        b.EventMonitor(G, "half", name="half_events"),
        b.StateMonitor(G, ["v", "x", "high", "n_spikes"], record=[0, 5, 11], name="trace"),
        b.StateMonitor(S, "w", record=True, name="weights"),
        b.PopulationRateMonitor(G, name="rate"),
    ]
    net = b.Network(G, S, *mons)
    return net, {m.name: m for m in mons}, {"tau": tau, "v_th": v_th}


@pytest.fixture(scope="module")
def finished_network():
    """A Brian2 (numpy target) network run for 40 ms: ``(net, monitors, namespace)`` (read-only)."""
    import brian2 as b

    b.prefs.codegen.target = "numpy"
    b.defaultclock.dt = 0.1 * b.ms
    net, mons, ns = build_network()
    net.run(40 * b.ms, namespace=ns)
    return net, mons, ns


def monitor_rows(monitor):
    """All rows of a finished Brian2 monitor in the engine chunk format (SI, time-major)."""
    from brian2 import EventMonitor, PopulationRateMonitor

    if isinstance(monitor, EventMonitor):
        names = monitor.record_variables
    elif isinstance(monitor, PopulationRateMonitor):
        names = ["t", "rate"]
    else:
        names = ["t", *monitor.record_variables]
    return {n: np.asarray(monitor.variables[n].get_value()) for n in names}


def feed(listener, net, monitors, duration, n_chunks, batch=0, stop_after=None):
    """Play the recorded monitors to ``listener`` as the engine would, in ``n_chunks`` chunks.

    With ``batch`` > 0 every sample is repeated per batch entry with an offset ``b`` (in SI
    units) on float variables, giving distinct but predictable batched data.
    """
    # the run starts at t = 0 (the real network has already run to its end)
    network = types.SimpleNamespace(objects=net.objects, t_=0.0)
    sim = types.SimpleNamespace(network=network, batch=batch or None, seed=123)
    listener.on_run_start(sim, duration)
    edges = np.linspace(0, duration, n_chunks + 1)
    edges[-1] = np.inf
    rows = {name: monitor_rows(m) for name, m in monitors.items()}
    try:
        for c in range(n_chunks):
            if stop_after is not None and c == stop_after:
                raise RuntimeError("simulated failure")
            data = {}
            for name, r in rows.items():
                keep = (r["t"] >= edges[c] - 1e-12) & (r["t"] < edges[c + 1] - 1e-12)
                data[name] = batched({k: v[keep] for k, v in r.items()}, monitors[name], batch)
            listener.on_chunk(sim, data, float(min(edges[c + 1], duration)))
    finally:
        listener.on_run_end(sim)


def batched(rows, monitor, batch):
    """Engine-format rows for ``batch`` copies (offset ``b`` on float variables)."""
    from brian2 import EventMonitor, PopulationRateMonitor

    if not batch:
        return rows
    if isinstance(monitor, EventMonitor):
        out = {k: np.concatenate([v + (b if v.dtype.kind == "f" and k != "t" else 0) for b in range(batch)]) for k, v in rows.items()}
        out["batch"] = np.repeat(np.arange(batch), len(rows["t"]))
        return out
    out = {"t": rows["t"]}
    for k, v in rows.items():
        if k == "t":
            continue
        out[k] = np.stack([v + b if v.dtype.kind == "f" else v for b in range(batch)])
    if isinstance(monitor, PopulationRateMonitor):
        out["rate"] = np.stack([rows["rate"] + b for b in range(batch)])
    return out


@pytest.fixture
def feeder():
    """The engine-like chunk feeder `feed` (tests cannot import conftest under importlib mode)."""
    return feed


@pytest.fixture
def network_factory():
    """`build_network`: a fresh, unrun network with every monitor kind (for engine runs)."""
    return build_network


def _load_runfiles():
    """``_runfiles.py`` by path (pytest runs in importlib mode: test folders are not packages)."""
    spec = importlib.util.spec_from_file_location("astrosim_tests_io_runfiles",
                                                  pathlib.Path(__file__).with_name("_runfiles.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def runfiles():
    """The ``_runfiles`` helpers: writer children, kills, ``killed_t_stop``, ``BATCH_TAU``."""
    return _load_runfiles()


@pytest.fixture(scope="session")
def run_files(runfiles, tmp_path_factory):
    """``{kind: path}`` of the shared run files, made once per session. Read only."""
    return runfiles.shared_run_files(tmp_path_factory)


@pytest.fixture
def cli(capsys):
    """``cli(*args)`` runs ``astrosim ARGS`` in this process: ``(exit code, stdout, stderr)``."""
    from astrosim.cli import main

    def call(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return call
