"""Shared helpers of the plotting functions: monitor selection, display units, subsampling, notes."""
import numpy as np

__all__ = [
    "display_unit",
    "pick_monitors",
    "time_window",
    "subsample",
    "add_note",
    "save_figure",
    "time_axis",
    "copy_label",
    "check_options",
    "EmptyWindowWarning",
]


class EmptyWindowWarning(UserWarning):
    """The requested time window holds no recorded data (the figure would be empty)."""


# preferred display units by SI dimension exponents (m, kg, s, A, K, mol, cd)
_PREFERRED = {
    (2, 1, -3, -1, 0, 0, 0): "mV",
    (-3, 0, 0, 0, 0, 1, 0): "uM",
    (0, 0, -1, 0, 0, 0, 0): "Hz",
    (-2, -1, 3, 2, 0, 0, 0): "nS",
    (0, 0, 0, 1, 0, 0, 0): "pA",
}
_SCALES = {"mV": 1e-3, "uM": 1e-3, "Hz": 1.0, "nS": 1e-9, "pA": 1e-12}
_LABELS = {"uM": "µM"}


def display_unit(values, dset_or_dims):
    """Scale SI ``values`` to a readable unit; returns ``(scaled array, unit label)``."""
    from brian2 import Quantity

    dims = dset_or_dims.attrs.get("dimensions") if hasattr(dset_or_dims, "attrs") else dset_or_dims
    values = np.asarray(values, dtype=float)
    if dims is None or not np.any(dims):
        return values, ""
    key = tuple(int(d) for d in dims)
    if key in _PREFERRED:
        name = _PREFERRED[key]
        return values / _SCALES[name], _LABELS.get(name, name)
    from astrosim.io.layout import decode_dimensions

    q = Quantity(values, dim=decode_dimensions(dims))
    finite = values[np.isfinite(values)]
    probe = Quantity(np.median(np.abs(finite)) if finite.size else 1.0, dim=q.dim)
    unit = probe._get_best_unit() if float(probe) != 0 else None
    if unit is None:
        from astrosim.io.layout import unit_name

        return values, unit_name(q.dim)
    return values / float(unit), str(unit)


def time_axis(t_values, t_start=None, t_stop=None):
    """``(scale, label)`` for a time axis: ms below 2 s of span, s above."""
    lo = t_start if t_start is not None else (float(np.min(t_values)) if len(t_values) else 0.0)
    hi = t_stop if t_stop is not None else (float(np.max(t_values)) if len(t_values) else 1.0)
    return (1e3, "time (ms)") if hi - lo < 2.0 else (1.0, "time (s)")


def pick_monitors(rec, kind, group=None):
    """Monitors of ``kind`` whose name or source is ``group`` (all of that kind if ``group`` is None)."""
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    found = [m for m in rec.monitors.values() if m.kind in kinds]
    if group is not None:
        found = [m for m in found if group in (m.name, m.source)]
    return found


def time_window(rec, t_start=None, t_stop=None):
    """Window in seconds (floats or None) from seconds/quantities."""
    return (None if t_start is None else float(t_start), None if t_stop is None else float(t_stop))


def subsample(n, limit):
    """Evenly spaced positions ``< n``, at most ``limit`` of them; plus a note when subsampled."""
    if n <= limit:
        return np.arange(n), ""
    pos = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return pos, f"{len(pos)} of {n} shown (evenly spaced)"


def add_note(ax, text):
    """Write a small note in the upper right corner of ``ax`` (subsampling, smoothing...)."""
    if text:
        ax.text(0.995, 1.01, text, transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="0.3")


def save_figure(fig, output, dpi=120):
    """Save ``fig`` (format from the file suffix: png, pdf, svg; ``dpi`` for png) and close it."""
    import matplotlib.pyplot as plt

    fig.savefig(output, dpi=dpi if str(output).lower().endswith(".png") else None, bbox_inches="tight")
    plt.close(fig)
    return output


def batch_size(rec):
    """Number of batch copies in the file (0 for an unbatched run)."""
    return max((m.batch_size for m in rec.monitors.values()), default=0)


def copy_label(rec, batch):
    """``'copy 3 of 8 (rates_Hz = 2)'`` for batched files, from user metadata ``batch_<name>`` lists."""
    n = batch_size(rec)
    if not n:
        return ""
    from astrosim.io.quantities import human

    values = []
    for key, value in (rec.metadata.get("batch_values") or {}).items():  # Simulator.set_batch_values
        if np.ndim(value) >= 1 and np.shape(value)[0] == n:
            row = value[batch]
            flat = np.ravel(np.asarray(row))
            if flat.size and np.all(flat == flat[0]):
                values.append(f"{key} = {human(row if np.ndim(row) == 0 else row[(0,) * np.ndim(row)])}")
            elif flat.size:
                values.append(f"{key}: per-element values")
    for key, value in (rec.metadata.get("user") or {}).items():
        if key.startswith("batch_") and isinstance(value, (list, np.ndarray)) and np.ndim(value) == 1 \
                and len(value) == n:
            item = value[batch]
            shown = f"{float(item):.4g}" if isinstance(item, (float, np.floating)) else str(item)
            values.append(f"{key[6:]} = {shown}")
    return f"copy {batch} of {n}" + (f" ({', '.join(values)})" if values else "")


def _recorded_span(rec):
    spans = []
    for m in rec.monitors.values():
        t = m.dataset("t") if "t" in m.variables else None
        n = len(m) if t is not None else 0
        if n:
            if not m.time_sorted:
                values = t[:n]
                spans.append((float(values.min()), float(values.max())))
            else:
                spans.append((float(t[0]), float(t[n - 1])))
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def check_options(rec, t_start=None, t_stop=None, batch=0):
    """Refuse a reversed window or a batch copy the file lacks (ValueError); warn if the window is empty."""
    import warnings

    from astrosim.io.quantities import human_seconds

    if t_start is not None and t_stop is not None and float(t_start) >= float(t_stop):
        raise ValueError(f"--t-start {human_seconds(t_start)} is not before --t-stop {human_seconds(t_stop)}")
    n = batch_size(rec)
    if batch is not None and batch != 0 and not 0 <= batch < max(n, 1):
        raise ValueError(f"--batch {batch}: {rec.path} holds " +
                         (f"{n} batch copies (0..{n - 1})" if n else "an unbatched run (only copy 0)"))
    span = _recorded_span(rec)
    if span is not None:
        lo, hi = span
        if (t_start is not None and float(t_start) > hi) or (t_stop is not None and float(t_stop) <= lo):
            warnings.warn(f"the window [{human_seconds(t_start) if t_start is not None else 'start'}, "
                          f"{human_seconds(t_stop) if t_stop is not None else 'end'}) holds no data; "
                          f"{rec.path} covers {human_seconds(lo)} to {human_seconds(hi)}", EmptyWindowWarning, stacklevel=3)
