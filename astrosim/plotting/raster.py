"""Spike raster with a population-rate panel, and population-rate plots."""
import numpy as np

from ._common import add_note, copy_label, pick_monitors, subsample, time_axis, time_window

__all__ = ["plot_raster", "plot_rates", "smoothed_rate"]


def smoothed_rate(t, rate, width=0.005):
    """Gaussian-smoothed rate (``width`` = standard deviation in seconds); raw if too few samples.

    Near the ends of the recording the kernel is renormalised over the samples that exist, so
    the curve does not fall towards zero at the window edges.
    """
    if len(t) < 3:
        return rate
    dt = float(np.median(np.diff(t)))
    sigma = max(width / dt, 1e-9)
    half = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    rate = np.asarray(rate, dtype=float)
    weight = np.convolve(np.ones(len(rate)), kernel, mode="same")
    return np.convolve(rate, kernel, mode="same")[: len(rate)] / weight[: len(rate)]


def _rate_from_spikes(t, n_neurons, t0, t1, bin_width=0.002):
    edges = np.arange(t0, t1 + bin_width, bin_width)
    counts, _ = np.histogram(t, edges)
    return edges[:-1] + bin_width / 2, counts / (bin_width * max(n_neurons, 1))


def plot_raster(rec, group=None, t_start=None, t_stop=None, max_neurons=400, batch=0, fig=None):
    """Raster of one spike monitor (dots) above its population rate.

    The rate comes from a PopulationRateMonitor of the same source when one was recorded
    (smoothed, 5 ms Gaussian), otherwise from a 2 ms spike histogram. Above ``max_neurons``
    neurons an evenly spaced subset is drawn, and the figure says so.
    """
    import matplotlib.pyplot as plt

    mons = pick_monitors(rec, ("spikes", "events"), group)
    if not mons:
        raise ValueError(f"{rec.path}: no spike monitor" + (f" for '{group}'" if group else ""))
    mon = mons[0]
    t0, t1 = time_window(rec, t_start, t_stop)
    t = np.asarray(mon.read("t", t0, t1), dtype=float)
    i = np.asarray(mon.read("i", t0, t1))
    if "batch" in mon.variables:
        keep = np.asarray(mon.read("batch", t0, t1)) == batch
        t, i = t[keep], i[keep]
    lo = t0 if t0 is not None else 0.0
    hi = t1 if t1 is not None else float(rec.metadata.get("duration") or (t.max() if len(t) else 1.0))
    scale, tlabel = time_axis(t, lo, hi)
    n = int(mon.source_size)
    shown, note = subsample(n, max_neurons)
    sel = np.isin(i, shown)
    fig = fig or plt.figure(figsize=(7, 4.8))
    ax_r, ax_p = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ms = 2.0 if sel.sum() < 5000 else 0.5
    ax_r.plot(t[sel] * scale, i[sel], ".", ms=ms, color="k", rasterized=True)
    ax_r.set_ylabel(f"neuron index ({mon.source})")
    ax_r.set_ylim(-0.5, n - 0.5)
    title = f"{mon.name}: {len(t)} {'spikes' if mon.kind == 'spikes' else 'events'}"
    if "batch" in mon.variables:
        title += f", {copy_label(rec, batch)}"
    ax_r.set_title(title, fontsize=10, loc="left")
    add_note(ax_r, note)
    rate_mons = [m for m in pick_monitors(rec, "rate") if m.source == mon.source]
    if rate_mons:
        rm = rate_mons[0]
        rt = np.asarray(rm.read("t", t0, t1), dtype=float)
        rr = np.asarray(rm.read("rate", t0, t1), dtype=float)
        if rr.ndim == 2:
            rr = rr[batch]
        ax_p.plot(rt * scale, smoothed_rate(rt, rr), color="C0", lw=1)
        add_note(ax_p, f"{rm.name}, 5 ms Gaussian smoothing")
    else:
        bt, br = _rate_from_spikes(t, n, lo, hi)
        ax_p.plot(bt * scale, br, color="C0", lw=1, drawstyle="steps-mid")
        add_note(ax_p, "from spikes, 2 ms bins")
    ax_p.set_ylabel("rate (Hz)")
    ax_p.set_xlabel(tlabel)
    ax_p.set_xlim(lo * scale, hi * scale)
    fig.align_ylabels()
    return fig


def plot_rates(rec, group=None, t_start=None, t_stop=None, smooth=0.005, batch=0, fig=None):
    """Population rates of all (or one group's) PopulationRateMonitors, Gaussian-smoothed."""
    import matplotlib.pyplot as plt

    mons = pick_monitors(rec, "rate", group)
    if not mons:
        raise ValueError(f"{rec.path}: no PopulationRateMonitor" + (f" for '{group}'" if group else ""))
    t0, t1 = time_window(rec, t_start, t_stop)
    fig = fig or plt.figure(figsize=(7, 3.2))
    ax = fig.subplots()
    scale = None
    for k, m in enumerate(mons):
        t = np.asarray(m.read("t", t0, t1), dtype=float)
        r = np.asarray(m.read("rate", t0, t1), dtype=float)
        if r.ndim == 2:
            r = r[batch]
        if scale is None:
            scale, tlabel = time_axis(t, t0, t1)
        ax.plot(t * scale, smoothed_rate(t, r, smooth) if smooth else r, lw=1, label=f"{m.source} ({m.name})")
    ax.set_xlabel(tlabel)
    ax.set_ylabel("population rate (Hz)")
    ax.legend(fontsize=8, frameon=False)
    label = copy_label(rec, batch)
    if label:
        ax.set_title(label, fontsize=10, loc="left")
    add_note(ax, f"{smooth * 1e3:g} ms Gaussian smoothing" if smooth else "")
    return fig
