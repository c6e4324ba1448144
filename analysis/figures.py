"""Figures of the bioplausible-vs-algorithmic comparison: attention maps, error against time and width."""
from __future__ import annotations

import numpy as np

__all__ = ["plot_outputs", "plot_error_vs_time", "plot_error_vs_hidden", "plot_alpha", "plot_circuit_activity",
           "plot_departure"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_outputs(panels: dict, path, *, title: str = "", groups: dict | None = None) -> None:
    """Side-by-side heat maps (tokens x features) of attention outputs of one circuit.

    Parameters
    ----------
    panels : dict
        Label -> array (N, d).
    groups : dict, optional
        Label -> group name; panels of one group share one symmetric colour scale (others get
        their own).
    """
    plt = _plt()
    arrays = [np.asarray(a, float) for a in panels.values()]
    groups = groups or {}
    limits, members = {}, {}
    for label, a in zip(panels, arrays):
        key = groups.get(label, label)
        limits[key] = max(limits.get(key, 0.0), float(np.abs(a).max()))
        members.setdefault(key, []).append(label)
    # constrained layout leaves room for every colour bar and its tick labels (no overlaps)
    fig, axes = plt.subplots(1, len(arrays), figsize=(2.9 * len(arrays), 3.4), squeeze=False, sharey=True,
                             layout="constrained")
    images = {}
    for ax, (label, a) in zip(axes[0], zip(panels, arrays)):
        lim = limits[groups.get(label, label)] or 1.0
        images[label] = ax.imshow(a, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("feature")
    by_label = dict(zip(panels, axes[0]))
    for key, labels in members.items():  # one bar per colour scale, beside the last panel using it
        fig.colorbar(images[labels[-1]], ax=by_label[labels[-1]], shrink=0.85, pad=0.02,
                     label="shared scale" if len(labels) > 1 else None)
    axes[0][0].set_ylabel("token (query)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_error_vs_time(rows: list, path, *, title: str = "") -> None:
    """Relative error of the spiking circuit against presentation time T per token (log-log),
    with a fitted power law and a 1/sqrt(T) guide."""
    plt = _plt()
    T = np.array([r["T"] for r in rows])
    err = np.array([r["rel_error"] for r in rows])
    std = np.array([r.get("rel_error_std", 0.0) for r in rows])
    fig, ax = plt.subplots(figsize=(5, 3.8))
    ax.errorbar(T, err, yerr=std, fmt="o-", label="circuit output (spike counts)")
    if all("rel_error_ratio" in r for r in rows):
        ratio = np.array([r["rel_error_ratio"] for r in rows])
        ok = np.isfinite(ratio)
        ax.plot(T[ok], ratio[ok], "s--", label="I/C before output spikes")
    slope = float(np.polyfit(np.log(T), np.log(err), 1)[0])
    guide = err[0] * np.sqrt(T[0] / T)
    ax.plot(T, guide, "k:", label=r"$\propto 1/\sqrt{T}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(T)
    ax.set_xticklabels([f"{t:g}" for t in T])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("presentation time per token T (s)")
    ax.set_ylabel("relative error vs algorithmic")
    ax.set_title(title or f"fitted slope {slope:.2f}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_error_vs_hidden(rows: list, path, *, title: str = "") -> None:
    """Relative error of the spiking circuit against the number of hidden cells m."""
    plt = _plt()
    m = np.array([r["m"] for r in rows])
    err = np.array([r["rel_error"] for r in rows])
    std = np.array([r.get("rel_error_std", 0.0) for r in rows])
    fig, ax = plt.subplots(figsize=(5, 3.8))
    ax.errorbar(m, err, yerr=std, fmt="o-")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("hidden cells per circuit m")
    ax.set_ylabel("relative error vs algorithmic")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_alpha(store, calcium, alpha_fit: float, path) -> None:
    """Astrocyte calcium against the presynaptic store (log-log): the emergent sub-linear exponent."""
    plt = _plt()
    s, c = np.asarray(store, float).ravel(), np.asarray(calcium, float).ravel()
    fig, ax = plt.subplots(figsize=(4.5, 3.6))
    ax.loglog(s, c, ".", alpha=0.6, label="processes")
    xs = np.geomspace(s.min(), s.max(), 50)
    scale = np.exp(np.mean(np.log(c) - alpha_fit * np.log(s)))
    ax.loglog(xs, scale * xs ** alpha_fit, "k-", label=f"fit: Ca ~ s^{alpha_fit:.3f}")
    ax.set_xlabel(r"presynaptic store s = $\sum_t \phi(k_t)$")
    ax.set_ylabel("calcium Ca (g)")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_circuit_activity(circuit, path, *, title: str = "") -> None:
    """Raster of hidden, output ON/OFF and release events, and the astrocyte's calcium, of a run
    circuit built with ``record_activity=True`` (first circuit of the batch)."""
    plt = _plt()
    stim, mon = circuit.stimulus, circuit.monitors
    m, d, T, N, S = stim.m, stim.d, stim.T, stim.n_tokens, stim.settle_slots
    fig, (ax, axc) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
    offset, ticks = 0, []
    for key, size, color, label in (("spikes_hidden", m, "k", "hidden"), ("spikes_release", m, "tab:green", "release"),
                                    ("spikes_output", d, "tab:red", "out ON"),
                                    ("spikes_output_off", d, "tab:blue", "out OFF")):
        if key in mon:
            t, i = np.asarray(mon[key].t), np.asarray(mon[key].i)
            keep = i < size
            ax.plot(t[keep], i[keep] + offset, "|", color=color, markersize=4)
        ticks.append((offset + size / 2, label))
        offset += size + 1
    ax.set_yticks([p for p, _ in ticks])
    ax.set_yticklabels([name for _, name in ticks])
    for edge in (N * T, (N + S) * T):
        for a in (ax, axc):
            a.axvline(edge, color="0.6", ls="--", lw=0.8)
    ax.set_title(title or "write | settle | read", fontsize=10)
    ca = np.asarray(mon["calcium"].Ca)[:m]
    axc.plot(np.asarray(mon["calcium"].t), ca.T, lw=1)
    axc.set_ylabel("Ca (g)")
    axc.set_xlabel("time (s)")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_departure(rows, path, *, title: str = "") -> None:
    """Biophysical tier: error of each stage against time per token (rows of ``biophysical.departure``)."""
    plt = _plt()
    T = [r["T"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    stages = (("L", "output L", "k", "-"), ("L_ratio", "I/C before output cells", "tab:blue", "-"),
              ("L_H_only", "L with only the circuit's H", "tab:orange", "--"),
              ("L_g_only", "L with only the circuit's g", "tab:green", "--"),
              ("phi_k", "φ(K) spike code", "tab:grey", ":"), ("g", "g (Li–Rinzel calcium)", "tab:red", ":"))
    for key, label, colour, style in stages:
        ax.loglog(T, [r[key] for r in rows], style, marker="o", color=colour, label=label)
    ax.set_xticks(T, [f"{t:g}" for t in T])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("time per token T (s)")
    ax.set_ylabel("relative error against algorithmic")
    ax.set_title(title or "biophysical tier: where the error comes from", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
