"""Ca2+ oscillations under clamped IP3 (Li-Rinzel) or constant agonist (G-ChI): onset, period, amplitude.

For Li-Rinzel with the canonical De Young-Keizer values, SERCA affinity k3 decides the encoding
(De Pitta et al. 2009): k3 = 0.1 uM oscillates for 0.354 < IP3 < 0.650 uM with amplitude
modulation at nearly fixed period, k3 = 0.05 uM for 0.528 < IP3 < 1.11 uM with ~1 uM spikes whose
frequency grows with IP3 (models-and-validation 8.1, LSODA reference). Each cell of a group gets
one level; period and amplitude are measured after the transient.
"""
import numpy as np
from brian2 import StateMonitor, ms, second, umolar

from astrosim.models.astrocytes import gchi, li_rinzel

from ._base import Parameter, resolve, run_network, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "measure", "TABLE_8_1"]

NAME = "calcium_oscillations"
SUMMARY = "Li-Rinzel / G-ChI Ca2+ oscillation window, period and amplitude vs IP3 (or agonist), both k3 values"

#: models-and-validation 8.1: IP3 (uM) -> (period s, amplitude uM) or None (steady), for k3 = 0.1 / 0.05 uM.
TABLE_8_1 = {
    0.1: {0.34: None, 0.36: (12.8, 0.067), 0.40: (12.8, 0.208), 0.50: (11.5, 0.337), 0.55: (11.2, 0.364),
          0.60: (11.0, 0.364), 0.65: (10.5, 0.069), 0.70: None, 0.80: None, 1.00: None},
    0.05: {0.34: None, 0.36: None, 0.40: None, 0.50: None, 0.55: (35.8, 0.99), 0.60: (28.4, 1.01),
           0.65: (24.9, 1.02), 0.70: (22.7, 1.02), 0.80: (19.9, 1.04), 1.00: (17.5, 1.06)},
}

PARAMETERS = (
    Parameter("model", "li_rinzel", "astrocyte model", choices=("li_rinzel", "gchi")),
    Parameter("ip3_values", np.array(sorted(TABLE_8_1[0.1])) * umolar, "clamped IP3 levels (li_rinzel)",
              low=0 * umolar, high=100 * umolar),
    Parameter("agonist_values", np.array([0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]) * umolar,
              "constant extracellular glutamate Y_S (gchi)", low=0 * umolar, high=1000 * umolar),
    Parameter("k3_values", np.array([0.1, 0.05]) * umolar, "SERCA affinities (one sweep each)",
              low=0.001 * umolar, high=10 * umolar),
    Parameter("duration", 600 * second, "simulated time", low=10 * second, high=36000 * second),
    Parameter("analysis_window", 300 * second, "final stretch used for period/amplitude", low=5 * second,
              high=36000 * second),
    Parameter("dt", 5 * ms, "integration step (rk4)", low=0.01 * ms, high=100 * ms),
    Parameter("min_amplitude", 0.01 * umolar, "peak-to-trough amplitude that counts as oscillating",
              low=0 * umolar, high=10 * umolar),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)


def measure(t, trace, min_amplitude):
    """Return (period, amplitude) of a sampled trace; period is NaN when it does not oscillate.

    Peaks are local maxima above the mid-level; the period is the mean interval between them.
    """
    amplitude = float(trace.max() - trace.min())
    if amplitude < min_amplitude:
        return float("nan"), amplitude
    mid = 0.5 * (trace.max() + trace.min())
    inner = trace[1:-1]
    peaks = np.flatnonzero((inner > trace[:-2]) & (inner >= trace[2:]) & (inner > mid)) + 1
    if len(peaks) < 2:
        return float("nan"), amplitude
    return float(np.mean(np.diff(t[peaks]))), amplitude


def run(overrides=None, *, seed=None, out=None, report=None):
    """Sweep the levels for every k3; returns periods (s) and amplitudes (uM) and table comparisons."""
    p = resolve(PARAMETERS, overrides or {}, NAME)
    if p["analysis_window"] >= p["duration"]:
        raise ValueError(f"{NAME}: analysis_window must be shorter than duration")
    levels = p["ip3_values"] if p["model"] == "li_rinzel" else p["agonist_values"]
    groups, monitors = [], {}
    for index, k3 in enumerate(p["k3_values"]):
        if p["model"] == "li_rinzel":
            group = li_rinzel.build(len(levels), dt=p["dt"], k3=k3, name=f"astrocytes_k3_{index}")
            group.I = levels
        else:
            group = gchi.build(len(levels), dt=p["dt"], k3=k3, release=False, name=f"astrocytes_k3_{index}")
            group.Y_S = levels
        monitors[f"calcium_k3_{index}"] = StateMonitor(group, "C", record=True, dt=50 * ms, name=f"calcium_k3_{index}")
        groups.append(group)
    run_network(groups + list(monitors.values()), p["duration"], engine=p["engine"], seed=seed, report=report)
    levels_uM = np.asarray(levels / umolar, dtype=float)
    sweeps = []
    for index, k3 in enumerate(p["k3_values"]):
        mon = monitors[f"calcium_k3_{index}"]
        t = np.asarray(mon.t / second)
        keep = t >= float((p["duration"] - p["analysis_window"]) / second)
        calcium = np.asarray(mon.C / umolar)
        stats = [measure(t[keep], calcium[c, keep], float(p["min_amplitude"] / umolar)) for c in range(len(levels))]
        period = np.array([s[0] for s in stats])
        sweeps.append({"k3_uM": float(k3 / umolar), "levels_uM": levels_uM, "period_s": period,
                       "amplitude_uM": np.array([s[1] for s in stats]), "t": t, "calcium": calcium})
    summary = {"model": p["model"]}
    for sweep in sweeps:
        osc = sweep["levels_uM"][np.isfinite(sweep["period_s"])]
        key = f"k3={sweep['k3_uM']:g}"
        summary[f"{key} oscillating levels (uM)"] = osc.tolist()
        summary[f"{key} period (s)"] = np.round(sweep["period_s"], 2).tolist()
        summary[f"{key} amplitude (uM)"] = np.round(sweep["amplitude_uM"], 3).tolist()
        if p["model"] == "li_rinzel":
            summary[f"{key} table 8.1 comparison"] = _compare(sweep)
    result = {"protocol": NAME, "params": p, "sweeps": sweeps, "summary": summary, "monitors": monitors}
    if out is not None:
        write_output(out, monitors, protocol=NAME, params=p, summary=summary)
    return result


def _compare(sweep):
    """Per table row at this k3: [IP3, (period, amplitude) measured, (period, amplitude) table]."""
    table = TABLE_8_1.get(round(sweep["k3_uM"], 6))
    if table is None:
        return []
    rows = []
    for level, period, amp in zip(sweep["levels_uM"], sweep["period_s"], sweep["amplitude_uM"]):
        key = round(float(level), 6)
        if key in table:
            measured = None if np.isnan(period) else (round(float(period), 2), round(float(amp), 3))
            rows.append([key, measured, table[key]])
    return rows


def plot(result, path):
    """Period and amplitude against the level, one curve per k3, with table 8.1 points for Li-Rinzel."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for sweep in result["sweeps"]:
        line, = a.plot(sweep["levels_uM"], sweep["period_s"], "o-", label=f"k3 = {sweep['k3_uM']:g} µM")
        b.plot(sweep["levels_uM"], np.where(np.isfinite(sweep["period_s"]), sweep["amplitude_uM"], 0), "o-",
               color=line.get_color())
        table = TABLE_8_1.get(round(sweep["k3_uM"], 6)) if result["params"]["model"] == "li_rinzel" else None
        if table:
            xs = [k for k, v in table.items() if v]
            a.plot(xs, [table[k][0] for k in xs], "x", color=line.get_color(), ms=8)
            b.plot(list(table), [table[k][1] if table[k] else 0 for k in table], "x", color=line.get_color(), ms=8)
    xlabel = "IP$_3$ (µM)" if result["params"]["model"] == "li_rinzel" else "agonist Y_S (µM)"
    a.set(xlabel=xlabel, ylabel="period (s)", title="oscillation period (x: table 8.1)")
    b.set(xlabel=xlabel, ylabel="Ca$^{2+}$ amplitude (µM)", title="amplitude (0 = steady)")
    a.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
