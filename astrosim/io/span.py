"""How far a recording can be trusted: its status and the simulated time span every dataset covers."""
from dataclasses import dataclass

import numpy as np

__all__ = ["RunSpan", "run_span"]


@dataclass(frozen=True)
class RunSpan:
    """Status of a recording and the time window ``[t_start, t_stop)`` (seconds) it fully covers.

    ``source`` says where ``t_stop`` came from: ``'t_complete'`` (the root attribute the
    recorder keeps up to date), ``'runs'`` (the end of the last run the recorder closed) or
    ``'data'`` (the last samples and spikes in the file, for killed runs of files without
    ``t_complete``).
    """

    t_start: float
    t_stop: float
    status: str
    reason: str
    source: str

    @property
    def complete(self):
        return self.status == "complete"


def _text(value):
    if isinstance(value, bytes):
        return value.decode()
    return "" if value is None else str(value)


def _data_end(rec):
    """End of the data actually present: min over sampled monitors of ``t[-1] + dt``; else last event."""
    ends, events = [], []
    for mon in rec.monitors.values():
        t, n = mon._group["t"], len(mon)
        if not n:
            if mon.kind in ("state", "rate"):
                ends.append(None)
            continue
        if mon.kind in ("state", "rate"):
            ends.append(float(t[n - 1]) + float(mon.dt or 0.0))
        else:
            events.append(float(np.max(t[:n])) + float(mon.dt or 0.0))
    if ends:
        return None if any(e is None for e in ends) else min(ends)
    return max(events) if events else None


def _data_start(rec):
    starts = [float(m._group["t"][0]) for m in rec.monitors.values()
              if m.kind in ("state", "rate") and len(m)]
    return min(starts) if starts else 0.0


def run_span(rec):
    """`RunSpan` of an open `Recording` (from ``astrosim.io.load``).

    Uses the root attributes ``status``, ``status_reason`` and ``t_complete`` when the file has
    them; otherwise ``complete``, the ``runs`` metadata, and finally the data itself.
    """
    attrs = rec.file.attrs
    meta = rec.metadata
    runs = meta.get("runs") if isinstance(meta.get("runs"), list) else None
    status = _text(attrs.get("status"))
    if not status:
        status = "complete" if rec.complete else ("interrupted" if runs else "running")
    reason = _text(attrs.get("status_reason"))
    if status == "running" and rec.writer_not_closed and not reason:
        reason = "the file is still open for writing: its writer was killed, crashed, or is still running"
    t_start = float(runs[0][0]) if runs else _data_start(rec)
    if "t_complete" in attrs:
        t_stop, source = float(attrs["t_complete"]), "t_complete"
    elif runs and not rec.writer_not_closed:  # closed by the recorder: every row of its runs was written
        t_stop, source = float(runs[-1][1]), "runs"
    else:
        t_stop, source = _data_end(rec), "data"
        if t_stop is None:
            t_stop = t_start
    return RunSpan(t_start=t_start, t_stop=max(t_stop, t_start), status=status, reason=reason, source=source)
