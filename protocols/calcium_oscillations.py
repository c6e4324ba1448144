"""Ca2+ oscillations under clamped IP3 (Li-Rinzel) or constant agonist (G-ChI): onset, period, amplitude.

For Li-Rinzel with the canonical De Young-Keizer values, SERCA affinity k3 decides the encoding
(De Pitta et al. 2009): k3 = 0.1 uM oscillates for 0.354 < IP3 < 0.650 uM with amplitude
modulation at nearly fixed period, k3 = 0.05 uM for 0.528 < IP3 < 1.11 uM with ~1 uM spikes whose
frequency grows with IP3 (models-and-validation 8.1, LSODA reference). Each cell of a group gets
one level; period and amplitude are measured after the transient. The window edges are then refined
inside the grid brackets (:func:`locate_edges`, batched runs) and compared with the rest state's
Hopf and fold points from linear stability (:func:`rest_state_bifurcations`).
"""
import numpy as np
from brian2 import Quantity, StateMonitor, ms, second, umolar

from astrosim.models.astrocytes import gchi, li_rinzel

from ._base import Parameter, copy_of, monitor_arrays, resolve, run_network, same_structure, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "measure", "locate_edges", "oscillation_amplitudes",
           "rest_state_bifurcations", "TABLE_8_1", "TABLE_8_1_EDGES", "BATCH_PARAMETERS", "structure", "copies",
           "run_batch"]

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
    Parameter("ip3_values", np.array(sorted(TABLE_8_1[0.1]) + [1.2]) * umolar, "clamped IP3 levels (li_rinzel)",
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
    Parameter("edge_rounds", 3, "refinement rounds per window edge (li_rinzel; 0: edges only on the grid)",
              low=0, high=20),
    Parameter("edge_points", 8, "IP3 levels simulated inside each edge bracket per round", low=1, high=200),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)

#: models-and-validation 8.1: oscillation window (uM) located by bisection with LSODA.
TABLE_8_1_EDGES = {0.1: (0.354, 0.650), 0.05: (0.528, 1.11)}


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


def validate(p):
    """Refuse resolved values that do not fit together; returns ``p``."""
    if p["analysis_window"] >= p["duration"]:
        raise ValueError(f"{NAME}: analysis_window must be shorter than duration")
    return p


def _levels(p):
    return p["ip3_values"] if p["model"] == "li_rinzel" else p["agonist_values"]


def _build(p):
    """One group of cells per k3 (one cell per level) and its Ca2+ monitor."""
    levels = _levels(p)
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
    return groups, monitors


def run(overrides=None, *, seed=None, out=None, report=None):
    """Sweep the levels for every k3; returns periods (s) and amplitudes (uM) and table comparisons."""
    p = validate(resolve(PARAMETERS, overrides or {}, NAME))
    groups, monitors = _build(p)
    sim = run_network(groups + list(monitors.values()), p["duration"], engine=p["engine"], seed=seed, report=report)
    result = _summarise(p, [monitor_arrays(sim, m) for m in monitors.values()])
    result["monitors"] = monitors
    if out is not None:
        write_output(out, monitors, protocol=NAME, params=p, summary=result["summary"], seed=seed)
    return result


#: Parameters that may differ between the parameter sets of one batched run (``run_batch``, sweeps): the levels and
#: k3 values (per-copy state and constants of the cells; their counts must agree, see :func:`structure`) and what
#: only the analysis and the per-set edge search use.
BATCH_PARAMETERS = ("ip3_values", "agonist_values", "k3_values", "analysis_window", "min_amplitude", "edge_rounds",
                    "edge_points")


def structure(p):
    """What else must agree for sets to share a batched run: the number of groups and of cells per group."""
    return len(_levels(p)), len(p["k3_values"])


def copies(p):
    """Batch copies one parameter set takes: one (every k3 group and level is a cell of that copy)."""
    return 1


def run_batch(param_sets, *, seed=None):
    """Parameter sets that differ only in :data:`BATCH_PARAMETERS` (with equal counts) as one batched run.

    The grid run is one batched run (one copy per set); the edge search that follows depends on each
    set's own result and runs per set, as in :func:`run`. Returns one summary dict per set.
    """
    first = same_structure(NAME, param_sets, BATCH_PARAMETERS)
    for p in param_sets:
        validate(p)
        if structure(p) != structure(first):
            raise ValueError(f"{NAME}: run_batch needs the same number of levels and k3 values in every set")
    groups, monitors = _build(first)
    values = []
    for index, group in enumerate(groups):
        k3 = Quantity([p["k3_values"][index] for p in param_sets])
        if np.any(np.asarray(k3) != np.asarray(k3)[0]):  # equal values keep the kernel of a plain run
            values.append((group, "k3", k3))
        levels = np.stack([np.asarray(_levels(p), dtype=float) for p in param_sets])
        if np.any(levels != levels[0]):
            values.append((group, "I" if first["model"] == "li_rinzel" else "Y_S", Quantity(levels, dim=umolar.dim)))
    sim = run_network(groups + list(monitors.values()), first["duration"], engine="astrosim", seed=seed,
                      batch=len(param_sets), batch_values=values)
    data = [sim.monitor_data(m) for m in monitors.values()]
    return [_summarise(p, [copy_of(d, b) for d in data])["summary"] for b, p in enumerate(param_sets)]


def _summarise(p, data):
    """Period and amplitude per level and k3, the table comparisons and the located window edges of one set."""
    levels_uM = np.asarray(_levels(p) / umolar, dtype=float)
    sweeps = []
    for k3, recorded in zip(p["k3_values"], data):
        t = np.asarray(recorded["t"])
        keep = t >= float((p["duration"] - p["analysis_window"]) / second)
        calcium = np.asarray(recorded["C"][0]).T / float(umolar)
        stats = [measure(t[keep], calcium[c, keep], float(p["min_amplitude"] / umolar)) for c in range(len(levels_uM))]
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
    edges = []
    if p["model"] == "li_rinzel" and p["edge_rounds"] > 0:
        criterion = dict(duration=p["duration"], window=p["analysis_window"], dt=p["dt"],
                         min_amplitude=p["min_amplitude"], engine=p["engine"])
        for sweep in sweeps:
            found = locate_edges(sweep["k3_uM"], sweep["levels_uM"], np.isfinite(sweep["period_s"]),
                                 rounds=p["edge_rounds"], points=p["edge_points"], **criterion)
            sweep["edges"] = found
            edges += found
            key = f"k3={sweep['k3_uM']:g}"
            summary[f"{key} window edges (uM)"] = [[round(e["low"], 6), round(e["high"], 6)] for e in found]
            sweep["bifurcations"] = rest_state_bifurcations(sweep["k3_uM"], *sweep["levels_uM"][[0, -1]])
            summary[f"{key} rest-state bifurcations (uM)"] = [[round(x, 5), kind] for x, kind in sweep["bifurcations"]]
            table = TABLE_8_1_EDGES.get(round(sweep["k3_uM"], 6))
            if table and len(found) == 2:
                summary[f"{key} edges - table 8.1 (uM)"] = [round(float(e["edge"] - t), 5) for e, t in zip(found, table)]
    return {"protocol": NAME, "params": p, "sweeps": sweeps, "summary": summary}


def oscillation_amplitudes(k3_uM, ip3_uM, *, duration, window, dt, min_amplitude, engine="astrosim"):
    """Peak-to-trough Ca2+ amplitude (uM) over the final ``window`` of a run from the default initial state.

    ``k3_uM`` and ``ip3_uM`` are equally long arrays, one simulated cell per pair. With the astrosim
    engine all pairs are copies of one batched run (k3 and IP3 set per copy); with Brian2 there is
    one group per distinct k3.
    """
    k3_uM, ip3_uM = np.asarray(k3_uM, dtype=float), np.asarray(ip3_uM, dtype=float)
    amplitude = np.empty(len(ip3_uM))
    start = float((duration - window) / second)
    if engine == "astrosim":
        group = li_rinzel.build(1, dt=dt, name="edge_cells")
        monitor = StateMonitor(group, "C", record=True, dt=50 * ms, name="edge_calcium")
        values = [(group, "k3", k3_uM * umolar), (group, "I", ip3_uM[:, None] * umolar)]
        sim = run_network([group, monitor], duration, engine=engine, batch=len(ip3_uM), batch_values=values)
        data = sim.monitor_data(monitor)
        calcium = np.asarray(data["C"])[:, np.asarray(data["t"]) >= start, 0]
        return (calcium.max(axis=1) - calcium.min(axis=1)) / float(umolar)
    objects, parts = [], []
    for index, k3 in enumerate(np.unique(k3_uM)):
        sel = np.flatnonzero(k3_uM == k3)
        group = li_rinzel.build(len(sel), dt=dt, k3=k3 * umolar, name=f"edge_cells_{index}")
        group.I = ip3_uM[sel] * umolar
        monitor = StateMonitor(group, "C", record=True, dt=50 * ms, name=f"edge_calcium_{index}")
        objects += [group, monitor]
        parts.append((sel, monitor))
    run_network(objects, duration, engine=engine)
    for sel, monitor in parts:
        calcium = np.asarray(monitor.C / umolar)[:, np.asarray(monitor.t / second) >= start]
        amplitude[sel] = calcium.max(axis=1) - calcium.min(axis=1)
    return amplitude


def locate_edges(k3_uM, levels_uM, oscillating, *, rounds, points, duration, window, dt, min_amplitude,
                 engine="astrosim"):
    """Refine every grid interval where oscillation starts or stops (Hopf or fold point) by repeated subdivision.

    Criterion: a level oscillates when the peak-to-trough Ca2+ amplitude over the final ``window`` of a
    ``duration``-long run from the default initial state reaches ``min_amplitude``. Each round simulates
    ``points`` evenly spaced levels inside every bracket, all brackets in one run, and keeps the sub-interval
    where the criterion flips (the one next to the steady side if it flips more than once). The bracket
    shrinks by ``points + 1`` per round. Returns one dict per edge: ``kind`` ('onset' or 'offset'),
    ``low``/``high`` (final bracket, uM), ``edge`` (its midpoint).
    """
    levels = np.asarray(levels_uM, dtype=float)
    order = np.argsort(levels)
    levels, oscillating = levels[order], np.asarray(oscillating, dtype=bool)[order]
    brackets = [[levels[i], levels[i + 1], "onset" if oscillating[i + 1] else "offset"]
                for i in range(len(levels) - 1) if oscillating[i] != oscillating[i + 1]]
    threshold = float(min_amplitude / umolar)
    for _ in range(rounds):
        if not brackets:
            break
        inner = [lo + (hi - lo) * np.arange(1, points + 1) / (points + 1) for lo, hi, _ in brackets]
        amp = oscillation_amplitudes(np.full(len(brackets) * points, k3_uM), np.concatenate(inner),
                                     duration=duration, window=window, dt=dt, min_amplitude=min_amplitude,
                                     engine=engine).reshape(len(brackets), points)
        for bracket, xs, a in zip(brackets, inner, amp):
            lo, hi, kind = bracket
            grid = np.concatenate([[lo], xs, [hi]])
            osc = np.concatenate([[kind == "offset"], a >= threshold, [kind == "onset"]])
            flips = np.flatnonzero(osc[:-1] != osc[1:])
            i = flips[0] if kind == "onset" else flips[-1]  # the flip next to the steady side
            bracket[0], bracket[1] = grid[i], grid[i + 1]
    return [{"kind": kind, "low": float(lo), "high": float(hi), "edge": 0.5 * (lo + hi)} for lo, hi, kind in brackets]


def _rhs(c, h, ip3, p):
    """Li-Rinzel right-hand side (uM, s) written out in numpy, for the linear stability analysis."""
    m, n = ip3 / (ip3 + p["d1"]), c / (c + p["d5"])
    q2 = p["d2"] * (ip3 + p["d1"]) / (ip3 + p["d3"])
    dc = (p["v1"] * (m * n * h) ** 3 + p["v2"]) * (p["c0"] - (1 + p["c1"]) * c) - p["v3"] * c**2 / (p["k3"]**2 + c**2)
    return np.array([dc, p["a2"] * (q2 * (1 - h) - c * h)])


def _rest_states(ip3, p):
    """All rest states (C, h) at clamped IP3, with the trace and determinant of the Jacobian at each."""
    from scipy.optimize import brentq

    q2 = p["d2"] * (ip3 + p["d1"]) / (ip3 + p["d3"])
    flux = lambda c: _rhs(c, q2 / (q2 + c), ip3, p)[0]  # noqa: E731
    grid = np.linspace(1e-9, p["c0"] / (1 + p["c1"]) - 1e-9, 4000)
    values = flux(grid)
    states = []
    for i in np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:])):
        c = brentq(flux, grid[i], grid[i + 1], xtol=1e-15)
        y, jac = np.array([c, q2 / (q2 + c)]), np.empty((2, 2))
        for j, eps in enumerate((1e-7 * c, 1e-7)):
            step = np.eye(2)[j] * eps
            jac[:, j] = (_rhs(*(y + step), ip3, p) - _rhs(*(y - step), ip3, p)) / (2 * eps)
        states.append((c, np.trace(jac), np.linalg.det(jac)))
    return states


def rest_state_bifurcations(k3_uM, low_uM, high_uM, *, samples=400):
    """IP3 levels (uM) in [low, high] where the Li-Rinzel rest state changes: ('hopf', x) or ('fold', x).

    Independent of any simulation: rest states are roots of the Ca2+ balance with h at its steady
    value; 'hopf' is where the Jacobian trace of the single rest state crosses zero (det > 0),
    'fold' where the number of rest states changes (saddle-node). Located to 1e-6 uM by bisection.
    """
    from brian2 import umolar as uM

    p = {k: float(v / uM) if k in ("c0", "k3", "d1", "d2", "d3", "d5") else float(v)
         for k, v in li_rinzel.PARAMETERS.items()}
    p["v3"], p["a2"] = float(li_rinzel.PARAMETERS["v3"] / (uM / second)), float(li_rinzel.PARAMETERS["a2"] * uM * second)
    p["k3"] = float(k3_uM)

    def signature(x):
        states = _rest_states(x, p)
        return len(states), (np.sign(states[0][1]) if len(states) == 1 else 0)

    xs = np.linspace(low_uM, high_uM, samples)
    sig = [signature(x) for x in xs]
    found = []
    for i in range(len(xs) - 1):
        if sig[i] == sig[i + 1]:
            continue
        lo, hi = xs[i], xs[i + 1]
        while hi - lo > 1e-6:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if signature(mid) == sig[i] else (lo, mid)
        found.append((0.5 * (lo + hi), "hopf" if sig[i][0] == sig[i + 1][0] == 1 else "fold"))
    return [(float(x), kind) for x, kind in found]


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
        for edge in sweep.get("edges", ()):
            b.axvline(edge["edge"], color=line.get_color(), ls="--", lw=0.8)
        for x, kind in sweep.get("bifurcations", ()):
            b.plot(x, -0.03, "^" if kind == "hopf" else "s", color=line.get_color(), ms=6)
        if sweep.get("edges") and round(sweep["k3_uM"], 6) in TABLE_8_1_EDGES:
            for x in TABLE_8_1_EDGES[round(sweep["k3_uM"], 6)]:
                b.axvline(x, color=line.get_color(), ls=":", lw=1.5)
        if table:
            xs = [k for k, v in table.items() if v]
            a.plot(xs, [table[k][0] for k in xs], "x", color=line.get_color(), ms=8)
            b.plot(list(table), [table[k][1] if table[k] else 0 for k in table], "x", color=line.get_color(), ms=8)
    xlabel = "IP$_3$ (µM)" if result["params"]["model"] == "li_rinzel" else "agonist Y_S (µM)"
    a.set(xlabel=xlabel, ylabel="period (s)", title="oscillation period (x: table 8.1)")
    b.set(xlabel=xlabel, ylabel="Ca$^{2+}$ amplitude (µM)",
          title="amplitude; edges: -- located, : table 8.1;\nrest state: ^ Hopf, s fold (linear stability)")
    a.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
