"""Plot options are validated; empty windows warn; batched figures name their copy; rates keep their edges."""
import types
import warnings

import numpy as np
import pytest

import astrosim.io as aio
from astrosim.cli import main
from astrosim.plotting import plot_file
from astrosim.plotting._common import EmptyWindowWarning, copy_label
from astrosim.plotting.raster import smoothed_rate


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    """A 6-copy recording streamed through H5Recorder, with per-copy rates as user metadata."""
    import brian2 as b

    G = b.NeuronGroup(5, "v : 1", threshold="False", name="cells")
    M = b.StateMonitor(G, "v", record=True, name="trace")
    R = b.PopulationRateMonitor(G, name="rate")
    net = b.Network(G, M, R)
    path = tmp_path_factory.mktemp("batched") / "b.h5"
    sim = types.SimpleNamespace(network=net, batch=6, seed=1)
    rec = aio.H5Recorder(path, metadata={"batch_rates_Hz": [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]})
    rec.on_run_start(sim, 0.01)
    t = np.arange(100) * 1e-4
    rec.on_chunk(sim, {"trace": {"t": t, "v": np.ones((6, 100, 5))}, "rate": {"t": t, "rate": np.ones((6, 100))}},
                 0.01)
    rec.on_run_end(sim)
    return path


def test_bad_windows_and_copies_are_refused(batched, tmp_path, capsys):
    out = tmp_path / "f.png"
    assert main(["plot", str(batched), "--kind", "rates", "--t-start", "8ms", "--t-stop", "2ms", "-o", str(out)]) == 2
    assert "is not before --t-stop" in capsys.readouterr().err
    assert main(["plot", str(batched), "--kind", "traces", "--batch", "99", "-o", str(out)]) == 2
    assert "6 batch copies (0..5)" in capsys.readouterr().err
    assert main(["plot", str(batched), "--kind", "traces", "-o", str(tmp_path / "f.txt")]) == 2
    assert "not a known file type" in capsys.readouterr().err
    assert not out.exists()


def test_empty_window_warns(batched, tmp_path, capsys):
    out = tmp_path / "late.png"
    assert main(["plot", str(batched), "--kind", "rates", "--t-start", "5s", "-o", str(out)]) == 0
    assert "warning: the window [5 s, end) holds no data" in capsys.readouterr().err
    with pytest.warns(EmptyWindowWarning):
        plot_file(batched, tmp_path / "late2.png", "rates", t_start=5.0)


def test_batched_figure_names_copy_and_parameter(batched, tmp_path):
    with aio.load(batched) as rec:
        assert copy_label(rec, 3) == "copy 3 of 6 (rates_Hz = 10)"
    import shutil

    import brian2 as b
    import h5py

    from astrosim.io.h5file import put_value

    other = tmp_path / "with_values.h5"  # per-copy values as Simulator.set_batch_values stores them
    shutil.copy(batched, other)
    with h5py.File(other, "r+") as f:
        group = f["metadata"].require_group("batch_values")
        put_value(group, "cells.tau", np.array([1, 2, 5, 10, 20, 50]) * b.ms)
        put_value(group, "cells.v", np.repeat(np.arange(6.0)[:, None], 5, axis=1) * b.mV)
    with aio.load(other) as rec:
        assert copy_label(rec, 3) == "copy 3 of 6 (cells.tau = 10 ms, cells.v = 3 mV, rates_Hz = 10)"
    import matplotlib.pyplot as plt

    from astrosim.plotting import plot_traces

    with aio.load(batched) as rec, warnings.catch_warnings():
        fig = plot_traces(rec, batch=3)
        titles = [ax.get_title(loc="left") for ax in fig.axes]
        plt.close(fig)
    assert any("copy 3 of 6 (rates_Hz = 10)" in t for t in titles), titles


def test_smoothed_rate_has_no_false_drop_at_edges():
    t = np.arange(2000) * 1e-4
    rate = np.full(t.shape, 12.0)
    np.testing.assert_allclose(smoothed_rate(t, rate, 0.005), 12.0, rtol=1e-12)


def test_summary_page_shows_no_folders(batched):
    import matplotlib.pyplot as plt

    from astrosim.plotting import plot_summary

    with aio.load(batched) as rec:
        fig = plot_summary(rec)
        texts = [t.get_text() for t in fig.findobj(match=lambda o: hasattr(o, "get_text"))]
        plt.close(fig)
    assert any("b.h5" in t for t in texts)
    assert not any(str(batched.parent) in t for t in texts)
