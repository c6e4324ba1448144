"""Text description of an astrosim file: the tree with shapes, units and metadata (``astrosim inspect``)."""
import numpy as np

from .quantities import human, human_seconds
from .reader import load

__all__ = ["describe"]


def _fmt_value(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (str, bool)) or value is None:
        return str(value)
    if isinstance(value, list) and any(not isinstance(v, (int, float)) for v in value):
        return "[" + ", ".join(_fmt_value(v) for v in value) + "]"
    arr = np.asarray(value)
    if arr.dtype.kind in "biuf":
        return human(value)
    return str(value)


def _status_line(rec):
    """What the file can be trusted for: status, reason, simulated time complete in every dataset."""
    status = rec.status
    if status == "running":
        status = "RUNNING (being written now, or its writer was killed)"
    elif status == "unknown":
        status = "INCOMPLETE (older file without a recorded status)"
    elif status != "complete":
        status = status.upper()
    line = f"status: {status}"
    if rec.status_reason:
        line += f": {rec.status_reason}"
    if rec.t_complete is not None:
        line += f"; every dataset complete up to t = {human_seconds(rec.t_complete)}"
    return line


_RUN_FIELDS = {"seed": str, "duration": human_seconds, "batch": str, "start_time": str, "end_time": str,
               "wall_time": lambda s: human_seconds(s, 3), "command": str, "script": str}


def describe(path, show_model=True):
    """The content of an astrosim file as text lines (monitors, datasets, metadata)."""
    lines = []
    with load(path) as rec:
        m = rec.metadata
        state = "complete" if rec.complete else "INCOMPLETE"
        lines.append(f"{path}: astrosim HDF5 format {rec.format_version}, {state}")
        lines.append(_status_line(rec))
        lines.append("run: " + ", ".join(f"{k}={show(m[k])}" for k, show in _RUN_FIELDS.items()
                                          if m.get(k) not in (None, "")))
        lines.append(
            "versions: "
            + ", ".join(f"{k[:-8]} {m[k]}" for k in m if k.endswith("_version") and isinstance(m[k], str))
        )
        clocks = m.get("clocks") or {}
        lines.append("clocks: " + ", ".join(f"{k} dt={human_seconds(v['dt'])}" for k, v in clocks.items()))
        lines.append("monitors:")
        for name, mon in rec.monitors.items():
            batch = f", batch {mon.batch_size}" if mon.batch_size else ""
            lines.append(f"  /monitors/{name}  [{mon.kind} of '{mon.source}' (N={mon.source_size}), "
                         f"dt={human_seconds(mon.dt)}{batch}]")
            for var in mon.variables:
                d = mon.dataset(var)
                chunks = f" chunks={d.chunks}" if d.chunks else ""
                lines.append(f"    {var:<12} {str(d.shape):<18} {d.attrs.get('dtype', d.dtype.name):<8} unit={mon.unit(var)}{chunks}")
            if mon.kind == "state":
                lines.append(f"    {'record':<12} {str(mon.dataset_record_shape()):<18} indices of the recorded elements")
        if show_model and m.get("model"):
            lines.append("model:")
            for name, entry in m["model"].items():
                lines.append(f"  {name} ({entry.get('type')}, N={entry.get('N')})")
                for key, text in entry.items():
                    if key in ("type", "N"):
                        continue
                    body = str(text).strip().splitlines() or [""]
                    lines.append(f"    {key}: {body[0]}")
                    lines.extend(f"    {' ' * (len(key) + 2)}{b}" for b in body[1:])
        params = m.get("parameters") or {}
        if params:
            lines.append("parameters: " + ", ".join(f"{k} = {_fmt_value(v)}" for k, v in params.items()))
        user = m.get("user") or {}
        if user:
            shown = {k: v for k, v in user.items() if k != "protocol_values"}  # exact values, for rerun
            lines.append("user: " + ", ".join(f"{k} = {_fmt_value(v)}" for k, v in shown.items()))
    return lines
