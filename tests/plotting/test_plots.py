"""Figures from recordings: valid PNG/PDF files of sensible size, units on the axes, stated subsampling."""
import struct
import subprocess
import sys

import numpy as np
import pytest

import astrosim.io as aio
from astrosim.plotting import KINDS, plot_calcium, plot_file, plot_raster, plot_traces


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A saved Brian2 run: 600 neurons (spikes, rate, v traces) and 10 calcium cells with C_Theta."""
    import brian2 as b

    b.prefs.codegen.target = "numpy"
    b.defaultclock.dt = 0.1 * b.ms
    ns = {"tau": 10 * b.ms, "C_Theta": 0.3 * b.umolar, "tau_C": 100 * b.ms}
    G = b.NeuronGroup(600, "dv/dt = (I - v)/tau : volt\nI : volt", threshold="v > 10*mV",
                      reset="v = 0*mV", method="exact", name="cells")
    G.I = "(5 + 10*i/600) * mV"
    A = b.NeuronGroup(10, "dC/dt = -C/tau_C : mmolar\nactive = C > C_Theta : boolean", method="exact", name="glia")
    S = b.Synapses(G, A, on_pre="C_post += 0.01*umolar", name="to_glia")
    S.connect("j == i % 10")
    mons = [b.SpikeMonitor(G, name="spikes"), b.PopulationRateMonitor(G, name="rate"),
            b.StateMonitor(G, "v", record=range(0, 600, 50), name="v_trace"),
            b.StateMonitor(A, "C", record=True, name="calcium")]
    net = b.Network(G, A, S, *mons)
    net.run(120 * b.ms, namespace=ns)
    path = tmp_path_factory.mktemp("plots") / "run.h5"
    aio.save(path, mons, metadata={"namespace": ns, "seed": 0})
    return path


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_writes_valid_png_and_pdf(tmp_path, recording, kind):
    png = plot_file(recording, tmp_path / f"{kind}.png", kind=kind)
    width, height = _png_size(tmp_path / f"{kind}.png")
    assert 400 <= width <= 3000 and 250 <= height <= 4000
    assert 10_000 < (tmp_path / f"{kind}.png").stat().st_size < 3_000_000, png
    plot_file(recording, tmp_path / f"{kind}.pdf", kind=kind)
    pdf = (tmp_path / f"{kind}.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-" and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 5_000


def test_axes_carry_units_and_subsampling_note(recording):
    import matplotlib.pyplot as plt

    with aio.load(recording) as rec:
        fig = plot_raster(rec, max_neurons=100)
        raster_ax, rate_ax = fig.axes[:2]
        assert rate_ax.get_ylabel() == "rate (Hz)" and rate_ax.get_xlabel() == "time (ms)"
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert any("100 of 600 shown" in t for t in texts)
        plt.close(fig)

        fig = plot_traces(rec, group="v_trace", t_start=0.02, t_stop=0.08)
        assert fig.axes[0].get_ylabel() == "v (mV)"
        assert fig.axes[0].get_xlim() == pytest.approx((20, 80))
        assert any("8 of 12 shown" in t.get_text() for t in fig.axes[0].texts)
        lines = fig.axes[0].get_lines()
        v = np.asarray(rec["v_trace"].read("v", 0.02, 0.08))[0] / 1e-3
        np.testing.assert_allclose(lines[0].get_ydata(), v)
        plt.close(fig)

        fig = plot_calcium(rec)
        ax = fig.axes[0]
        assert ax.get_ylabel() == "C (µM)"
        threshold = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert len(threshold) == 1 and threshold[0].get_ydata()[0] == pytest.approx(0.3)
        assert "C_Theta" in ax.get_legend().get_texts()[0].get_text()
        plt.close(fig)


def test_cli_plot_and_errors(tmp_path, recording, capsys):
    from astrosim.cli import main

    out = tmp_path / "r.png"
    ok = subprocess.run([sys.executable, "-m", "astrosim", "plot", str(recording), "--kind", "raster",
                         "--t-start", "10ms", "--t-stop", "0.1", "-o", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    _png_size(out)
    assert main(["plot", str(recording), "--kind", "raster", "--group", "nope", "-o", str(tmp_path / "x.png")]) == 2
    assert "no spike monitor for 'nope'" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "missing.h5"), "-o", str(tmp_path / "y.png")]) == 2
    assert "no such file" in capsys.readouterr().err
