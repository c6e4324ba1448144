"""What each batch copy of a recording was given, and readable labels for the copies."""
import numpy as np

__all__ = ["batch_values", "batch_labels", "format_value"]


def format_value(value, dims):
    """``5 ms``-style text of an SI value with dimension exponents (``dims`` None: plain number)."""
    if dims is None or not np.any(dims):
        return f"{float(value):g}"
    from brian2 import Quantity
    from brian2.units.fundamentalunits import get_unit

    from .layout import decode_dimensions

    q = Quantity(float(value), dim=decode_dimensions(dims))
    best = q.get_best_unit()
    if float(best) == 0:
        best = get_unit(q.dim)
    return f"{float(q / best):g} {best!s}"


def batch_values(rec):
    """``{'object.name': (values (B,) or (B, N), dims or None, unit)}`` from ``/metadata/batch_values``."""
    group = rec.file.get("metadata/batch_values")
    if group is None:
        return {}
    out = {}
    for key, dset in group.items():
        dims = dset.attrs.get("dimensions")
        unit = dset.attrs.get("unit", "")
        unit = unit.decode() if isinstance(unit, bytes) else str(unit)
        out[key] = (dset[()], None if dims is None else np.asarray(dims), unit)
    return out


def batch_labels(rec, n_copies):
    """One label per batch copy, naming its values (``'tau=5 ms'``); ``'copy k'`` when unknown.

    Only values that are one number per copy go into the label; per-element arrays are named
    by the copy index.
    """
    values = batch_values(rec)
    labels = []
    for k in range(n_copies):
        parts = []
        for key, (arr, dims, _) in sorted(values.items()):
            arr = np.asarray(arr)
            if arr.ndim == 1 and arr.shape[0] == n_copies:
                parts.append(f"{key.rsplit('.', 1)[-1]}={format_value(arr[k], dims)}")
        labels.append(", ".join(parts) if parts else f"copy {k}")
    if len(set(labels)) != len(labels):  # two copies given the same values: keep them apart
        labels = [f"copy {k}: {label}" for k, label in enumerate(labels)]
    return labels
