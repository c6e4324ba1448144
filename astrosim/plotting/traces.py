"""State-variable traces and astrocytic calcium with its threshold."""
import re

import numpy as np

from ._common import add_note, copy_label, display_unit, pick_monitors, subsample, time_axis, time_window

__all__ = ["plot_traces", "plot_calcium", "find_calcium", "find_threshold"]

_CALCIUM = re.compile(r"^(ca|c|calcium|ca_i|c_a)$", re.IGNORECASE)
_THRESHOLD = re.compile(r"^(c|ca|calcium)_?(theta|thr|th|threshold)$|^(theta|thr)_?(c|ca)$", re.IGNORECASE)


def _trace_panel(ax, mon, var, t0, t1, max_traces, batch, scale):
    dset = mon.dataset(var)
    n_rec = dset.shape[-1]
    shown, note = subsample(n_rec, max_traces)
    values = np.asarray(mon.read(var, t0, t1, indices=shown), dtype=float)
    if values.ndim == 3:
        values = values[batch]
    t = np.asarray(mon.read("t", t0, t1), dtype=float)
    values, unit = display_unit(values, dset)
    record = mon.record
    for row, pos in zip(values, shown):
        ax.plot(t * scale, row, lw=0.9, label=f"{mon.source}[{record[pos]}]")
    ax.set_ylabel(f"{var} ({unit})" if unit else var)
    if len(shown) <= 8:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return note, unit


def plot_traces(rec, group=None, variables=None, t_start=None, t_stop=None, max_traces=8, batch=0, fig=None):
    """One panel per recorded variable of a StateMonitor, up to ``max_traces`` elements each."""
    import matplotlib.pyplot as plt

    mons = pick_monitors(rec, "state", group)
    if not mons:
        raise ValueError(f"{rec.path}: no StateMonitor" + (f" for '{group}'" if group else ""))
    if group is None:  # prefer a monitor recording a membrane potential (volt)
        volt = (2, 1, -3, -1, 0, 0, 0)
        mons.sort(key=lambda m: not any(
            tuple(int(d) for d in m.dataset(v).attrs.get("dimensions", ())) == volt for v in m.variables))
    mon = mons[0]
    names = [v for v in mon.variables if v != "t"] if variables is None else list(variables)
    missing = [v for v in names if v not in mon.variables]
    if missing:
        raise ValueError(f"monitor '{mon.name}' did not record {missing} (has {mon.variables})")
    t0, t1 = time_window(rec, t_start, t_stop)
    t_all = np.asarray(mon.read("t", t0, t1), dtype=float)
    scale, tlabel = time_axis(t_all, t0, t1)
    fig = fig or plt.figure(figsize=(7, 1.2 + 1.8 * len(names)))
    axes = np.atleast_1d(fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0])
    for k, (ax, var) in enumerate(zip(axes, names)):
        note, _ = _trace_panel(ax, mon, var, t0, t1, max_traces, batch, scale)
        add_note(ax, note if k == 0 else "")
        if k and ax.get_legend() is not None:  # one legend (first panel) is enough
            ax.get_legend().remove()
    title = f"{mon.name}: state of '{mon.source}'"
    if mon.batch_size:
        title += f", {copy_label(rec, batch)}"
    axes[0].set_title(title, fontsize=10, loc="left")
    axes[-1].set_xlabel(tlabel)
    if len(t_all):
        axes[-1].set_xlim((t0 if t0 is not None else t_all[0]) * scale, (t1 if t1 is not None else t_all[-1]) * scale)
    fig.align_ylabels()
    return fig


def find_calcium(rec, group=None):
    """``(monitor, variable)`` of the first recorded calcium variable (``Ca``, ``C``, ...), or None."""
    for mon in pick_monitors(rec, "state", group):
        for var in mon.variables:
            if _CALCIUM.match(var):
                return mon, var
    for mon in pick_monitors(rec, "state", group):  # by dimension: a concentration
        for var in mon.variables:
            dims = mon.dataset(var).attrs.get("dimensions")
            if dims is not None and tuple(int(d) for d in dims) == (-3, 0, 0, 0, 0, 1, 0):
                return mon, var
    return None


def find_threshold(rec):
    """``(name, value in SI)`` of a calcium threshold parameter in the metadata, or None."""
    for name, value in (rec.metadata.get("parameters") or {}).items():
        if _THRESHOLD.match(name):
            return name, float(np.asarray(value))
    return None


def plot_calcium(rec, group=None, variable=None, threshold=None, t_start=None, t_stop=None,
                 max_traces=12, batch=0, fig=None):
    """Calcium traces with the threshold line (given, or a ``C_Theta``-like model parameter)."""
    import matplotlib.pyplot as plt

    if variable is None:
        found = find_calcium(rec, group)
        if found is None:
            raise ValueError(f"{rec.path}: no calcium variable recorded (use --group/--var to choose one)")
        mon, variable = found
    else:
        mons = [m for m in pick_monitors(rec, "state", group) if variable in m.variables]
        if not mons:
            raise ValueError(f"{rec.path}: no StateMonitor recorded '{variable}'")
        mon = mons[0]
    t0, t1 = time_window(rec, t_start, t_stop)
    t_all = np.asarray(mon.read("t", t0, t1), dtype=float)
    scale, tlabel = time_axis(t_all, t0, t1)
    fig = fig or plt.figure(figsize=(7, 3.4))
    ax = fig.subplots()
    note, unit = _trace_panel(ax, mon, variable, t0, t1, max_traces, batch, scale)
    add_note(ax, note)
    label = None
    if threshold is None:
        found = find_threshold(rec)
        if found is not None:
            label, threshold = found
    if threshold is not None:
        thr_scaled, _ = display_unit(np.array([float(np.asarray(threshold))]), mon.dataset(variable))
        text = f"threshold {label + ' = ' if label else ''}{thr_scaled[0]:.3g} {unit}"
        line = ax.axhline(thr_scaled[0], color="k", ls="--", lw=1.2, label=text)
        ax.legend(handles=[line], fontsize=8, frameon=False, loc="lower right")
    label = copy_label(rec, batch) if mon.batch_size else ""
    ax.set_title(f"{mon.name}: {variable} of '{mon.source}'" + (f", {label}" if label else ""), fontsize=10, loc="left")
    ax.set_xlabel(tlabel)
    if len(t_all):
        ax.set_xlim((t0 if t0 is not None else t_all[0]) * scale, (t1 if t1 is not None else t_all[-1]) * scale)
    return fig
