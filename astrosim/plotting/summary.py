"""One-page summary of a recording: raster + rate, traces, calcium, and the run's metadata."""
import os
import textwrap

import numpy as np

from ._common import pick_monitors
from .raster import plot_raster, plot_rates
from .traces import find_calcium, plot_calcium, plot_traces

__all__ = ["plot_summary", "metadata_lines"]


def metadata_lines(rec):
    """Short text lines describing the run (versions, seed, duration, dt, wall time, state)."""
    m = rec.metadata
    clocks = ", ".join(f"{k} {v.get('dt', 0) * 1e3:g} ms" for k, v in (m.get("clocks") or {}).items())
    wall = m.get("wall_time")
    lines = [
        f"file: {os.path.basename(rec.path)}  (format {rec.format_version}, {rec.status}"
        + (f": {rec.status_reason}" if rec.status_reason else "") + ")",
        f"simulated: {float(m.get('duration') or 0):.4g} s   wall: {wall:.3g} s" if wall else
        f"simulated: {float(m.get('duration') or 0):.4g} s",
        f"dt: {clocks}   seed: {m.get('seed', '-')}   batch: {m.get('batch') or '-'}",
        f"astrosim {m.get('astrosim_version')}, brian2 {m.get('brian2_version')}, numpy {m.get('numpy_version')}",
    ]
    if m.get("script"):
        lines.append(f"script: {m['script']}")
    models = m.get("model") or {}
    if models:
        lines.append("model: " + ", ".join(f"{k} ({v.get('type')}, N={v.get('N')})" for k, v in models.items()))
    return lines


def plot_summary(rec, group=None, t_start=None, t_stop=None, fig=None):
    """A page of panels: raster with rate, first state monitor traces, calcium, metadata."""
    import matplotlib.pyplot as plt

    parts = []
    if pick_monitors(rec, ("spikes", "events"), group):
        parts.append(("raster", 4.0))
    elif pick_monitors(rec, "rate", group):
        parts.append(("rates", 2.5))
    state = pick_monitors(rec, "state", group)
    calcium = find_calcium(rec, group)
    trace_mon, trace_vars = None, []
    for mon in state:  # the first state monitor with something other than the calcium trace
        names = [v for v in mon.variables if v != "t" and not (calcium and calcium[0].name == mon.name and calcium[1] == v)]
        if names:
            trace_mon, trace_vars = mon, names[:2]
            parts.append(("traces", 1.2 + 1.6 * len(trace_vars)))
            break
    if calcium:
        parts.append(("calcium", 2.8))
    parts.append(("text", 1.3))
    fig = fig or plt.figure(figsize=(8.27, sum(h for _, h in parts) + 0.6))
    subs = np.atleast_1d(fig.subfigures(len(parts), 1, height_ratios=[h for _, h in parts]))
    for sub, (kind, _) in zip(subs, parts):
        if kind == "raster":
            plot_raster(rec, group, t_start, t_stop, fig=sub)
        elif kind == "rates":
            plot_rates(rec, group, t_start, t_stop, fig=sub)
        elif kind == "traces":
            plot_traces(rec, trace_mon.name, trace_vars, t_start, t_stop, max_traces=5, fig=sub)
        elif kind == "calcium":
            plot_calcium(rec, calcium[0].name, calcium[1], None, t_start, t_stop, fig=sub)
        else:
            ax = sub.subplots()
            ax.axis("off")
            text = "\n".join(textwrap.fill(line, 110, subsequent_indent="    ") for line in metadata_lines(rec))
            ax.text(0, 1, text, va="top", ha="left", fontsize=7.5, family="monospace")
    fig.suptitle("astrosim run summary", fontsize=12, x=0.01, y=1.0 + 0.25 / fig.get_figheight(), ha="left")
    return fig
