"""Kernel-side recording buffers for Brian2 monitors, and their flush into Brian2 / listeners."""
import numpy as np
from brian2.monitors.ratemonitor import PopulationRateMonitor
from brian2.monitors.spikemonitor import EventMonitor
from brian2.monitors.statemonitor import StateMonitor

__all__ = ["MonitorBuffer"]


class MonitorBuffer:
    """Recording buffers of one monitor; ``prefix`` names its kernel arrays.

    Parameters
    ----------
    monitor : SpikeMonitor, EventMonitor, StateMonitor or PopulationRateMonitor
    prefix : str
    batch : int
    codeobj : captured code object of the monitor
    clock_index : int
    """

    def __init__(self, monitor, prefix, batch, codeobj, clock_index):
        self.monitor = monitor
        self.prefix = prefix
        self.batch = batch
        self.clock_index = clock_index
        kw = codeobj.code["kwds"]
        self.kind = ("spike" if isinstance(monitor, EventMonitor) else
                     "state" if isinstance(monitor, StateMonitor) else
                     "rate" if isinstance(monitor, PopulationRateMonitor) else None)
        self.store = []  # per-chunk data kept for batched monitor_data
        if self.kind == "spike":
            self.record = bool(kw.get("record", True))
            self.vars = {k: v.dtype for k, v in kw["record_variables"].items()} if self.record else {}
            src = codeobj.variables
            self.n_source = int(src["_source_stop"].value) - int(src["_source_start"].value)
            self.capacity = max(4096, 8 * self.n_source)
        elif self.kind == "state":
            self.vars = {k: v.dtype for k, v in kw["_recorded_variables"].items()}
            self.n_indices = len(codeobj.variables["_indices"].get_value())
        else:
            self.vars = {"rate": np.float64}
        self.arrays = {}
        self.unrecorded = np.zeros(batch, dtype=np.int64)  # events counted while record=False

    def allocate(self, n_ticks):
        """Fresh buffers for a chunk in which this monitor's clock ticks ``n_ticks`` times."""
        p, B = self.prefix, self.batch
        a = {}
        if self.kind == "spike":
            a[f"{p}_n"] = np.zeros((B, 1), dtype=np.int64)
            if self.record:
                for name, dtype in self.vars.items():
                    a[f"{p}_v_{name}"] = np.zeros((B, self.capacity), dtype=dtype)
        else:
            for name, dtype in self.vars.items():
                shape = (B, n_ticks, self.n_indices) if self.kind == "state" else (B, n_ticks)
                a[f"{p}_v_{name}"] = np.zeros(shape, dtype=dtype)
        self.arrays = a
        return a

    def bytes_per_tick(self):
        """Buffer bytes one clock tick adds (state and rate monitors)."""
        if self.kind == "spike":
            return 0
        cols = self.n_indices if self.kind == "state" else 1
        return sum(np.dtype(d).itemsize for d in self.vars.values()) * cols * self.batch

    def capacity_check(self, const):
        """Kernel source returning early when a copy's spike buffer may overflow next step."""
        if self.kind != "spike" or not self.record:
            return None
        p = self.prefix
        name = sorted(self.vars)[0]
        return (f"if {p}_n[$b, 0] + {const(self.n_source)} > {p}_v_{name}.shape[1]:\n"
                f"    $done[$b] = $s\n    break")

    def collect_spikes(self):
        """Per-copy events recorded since the last call; resets the kernel counters."""
        p, a = self.prefix, self.arrays
        if self.kind != "spike":
            return None
        if not self.record:
            counts = a[f"{p}_n"][:, 0]
            self.unrecorded += counts
            counts[:] = 0
            return [dict() for _ in range(self.batch)]
        out = []
        counts = a[f"{p}_n"][:, 0]
        for b in range(self.batch):
            n = int(counts[b])
            out.append({name: a[f"{p}_v_{name}"][b, :n].copy() for name in self.vars})
        if np.any(counts + self.n_source > self.capacity):
            self.capacity *= 2
            for name, dtype in self.vars.items():
                a[f"{p}_v_{name}"] = np.zeros((self.batch, self.capacity), dtype=dtype)
        counts[:] = 0
        return out

    def collect_rows(self, t, rows):
        """Per-copy rows of a state/rate monitor for one chunk (``rows`` recorded)."""
        p, a = self.prefix, self.arrays
        out = []
        for b in range(self.batch):
            d = {"t": t[:rows]}
            for name in self.vars:
                d[name] = a[f"{p}_v_{name}"][b, :rows].copy()
            out.append(d)
        return out

    def listener_data(self, per_copy, batched):
        """Chunk data in the listener format of the team brief."""
        if not batched:
            return dict(per_copy[0])
        if self.kind == "spike":
            if not self.record:
                return {}
            d = {name: np.concatenate([c[name] for c in per_copy]) for name in self.vars}
            d["batch"] = np.concatenate([np.full(len(c["t"]), b, dtype=np.int64)
                                         for b, c in enumerate(per_copy)])
            return d
        d = {"t": per_copy[0]["t"]}
        for name in self.vars:
            d[name] = np.stack([c[name] for c in per_copy])
        return d

    def write_to_brian(self, data):
        """Append one chunk (unbatched) to the Brian2 monitor's dynamic arrays."""
        mon = self.monitor
        if self.kind == "spike":
            if not self.record:
                # Brian2 keeps counting events in N (num_spikes) even without recording
                n, self.unrecorded[:] = int(self.unrecorded[0]), 0
                if n:
                    n0 = int(mon.variables["N"].get_value().item())
                    mon.resize(n0 + n)
                    mon.variables["N"].set_value(n0 + n)
                return
            n = len(data["t"])
            if n == 0:
                return
            n0 = int(mon.variables["N"].get_value().item())
            mon.resize(n0 + n)
            for name in self.vars:
                mon.variables[name].get_value()[n0:] = data[name]
            mon.variables["N"].set_value(n0 + n)
        else:
            k = len(data["t"])
            if k == 0:
                return
            n0 = int(mon.variables["N"].get_value().item())
            mon.resize(n0 + k)
            if self.kind == "rate":
                mon.variables["N"].set_value(n0 + k)
            mon.variables["t"].get_value()[n0:] = data["t"]
            for name in self.vars:
                mon.variables[name].get_value()[n0:] = data[name]
