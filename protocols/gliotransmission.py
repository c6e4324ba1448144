"""Paired-pulse ratio of a Tsodyks-Markram synapse with and without astrocytic gliotransmission (De Pitta 2011).

Each synapse starts at rest with a fixed presynaptic-receptor occupancy Gamma_S and receives one
spike pair; Gamma_S lowers (alpha = 0, release-decreasing) or raises (alpha = 1,
release-increasing) the resting release probability U_0 = (1 - Gamma_S) U_0* + alpha Gamma_S.
PPR = r_2/r_1 is compared with the closed-form value (models-and-validation 8.2): release-
decreasing gliotransmission turns the depressing synapse into a facilitating one, release-
increasing gliotransmission deepens depression (De Pitta et al. 2011, Stimberg et al. 2019 Fig. 3).

The second part (``sweep_*`` parameters) is the release-vs-rate sweep of Stimberg et al. 2019, Fig. 4C:
mean release per spike and mean synaptic glutamate against the input rate for a synapse without
gliotransmission, with open-loop and with closed-loop gliotransmission (:func:`release_vs_rate`).
The third part (``steps_*``) is the time course of Fig. 4B: the same three conditions while the input
rate steps through 0.011, 0.11, 1.1 and 11 Hz, mean synaptic glutamate over time (:func:`rate_steps`).
"""
import numpy as np
from brian2 import Hz, NeuronGroup, SpikeGeneratorGroup, StateMonitor, ms, second, umolar

from astrosim.models.synapses import tsodyks_markram

from ._base import Parameter, ProtocolParameterError, copy_seed, resolve, run_network, same_structure, write_output
from ._gliotransmission_fig4 import (SWEEP_CONDITIONS, campbell_glutamate, fig4_units, plot_steps, rate_steps,
                                     release_reference, steps_summary)

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "TABLE_8_2", "SWEEP_CONDITIONS", "release_vs_rate",
           "release_reference", "rate_steps", "campbell_glutamate", "BATCH_PARAMETERS", "structure", "copies", "run_batch"]

NAME = "gliotransmission"
SUMMARY = ("paired-pulse ratio with/without gliotransmission vs analytic; release vs input rate without, "
           "open-loop, closed-loop (Stimberg Fig. 4C); glutamate time course under rate steps (Fig. 4B)")

#: models-and-validation 8.2 (U_0* = 0.6, Omega_f = 3.33/s, Omega_d = 2/s): PPR by delay (ms) for
#: Gamma_S = 0, then alpha = 0 at Gamma_S 0.25/0.5/0.75, then alpha = 1 at 0.25/0.5/0.75/1.
TABLE_8_2 = {
    10: (0.571, (0.856, 1.184, 1.554), (0.405, 0.258, 0.129, 0.020)),
    50: (0.612, (0.869, 1.160, 1.486), (0.460, 0.323, 0.201, 0.095)),
    100: (0.655, (0.881, 1.133, 1.412), (0.519, 0.394, 0.282, 0.181)),
    500: (0.838, (0.921, 1.007, 1.097), (0.785, 0.732, 0.682, 0.632)),
}

PARAMETERS = (
    Parameter("delays", np.array([10.0, 50.0, 100.0, 500.0]) * ms, "inter-spike intervals of the pairs",
              low=0.1 * ms, high=10 * second),
    Parameter("gamma_values", [0.0, 0.25, 0.5, 0.75, 1.0], "presynaptic receptor occupancies Gamma_S",
              low=0.0, high=1.0),
    Parameter("U_0_star", 0.6, "resting release probability without gliotransmitter", low=0.0, high=1.0),
    Parameter("sweep_rates", np.logspace(-2, 2, 25) * Hz, "input rates of the release-vs-rate sweep (Fig. 4C)",
              low=0.001 * Hz, high=200 * Hz),
    Parameter("sweep_duration", 180 * second, "measured time per rate after the transient (0 skips the sweep)",
              low=0 * second, high=3600 * second),
    Parameter("sweep_transient", 15 * second, "discarded start of the sweep", low=0 * second, high=3600 * second),
    Parameter("sweep_repeats", 8, "independent copies per rate", low=1, high=100),
    Parameter("sweep_alpha", 0.0, "gliotransmission type in the sweep (0 decreasing, 1 increasing release)",
              low=0.0, high=1.0),
    Parameter("sweep_input", "poisson", "input spike trains of the sweep", choices=("poisson", "regular")),
    Parameter("steps_rates", np.array([0.011, 0.11, 1.1, 11.0]) * Hz,
              "input rates of the time course (Fig. 4B), one per step", low=0 * Hz, high=200 * Hz,
              unit="Hz"),
    Parameter("steps_duration", 5 * second, "duration of each rate step of the time course (0 skips it)",
              low=0 * second, high=600 * second),
    Parameter("steps_copies", 500, "independent units averaged in the time course", low=2, high=5000),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)

_RECORDER = """
r1 : 1
r2 : 1
n_spikes : 1
"""
_EFFECT = """
r1_post += r_S * int(n_spikes_post == 0)
r2_post += r_S * int(n_spikes_post == 1)
n_spikes_post += 1
"""


def validate(p):
    """Refuse resolved values that do not fit together (checked before anything runs); returns ``p``."""
    if 0 * second < p["steps_duration"] < 10 * ms:
        raise ProtocolParameterError(f"{NAME}: parameter 'steps_duration' must be 0 (skip) or at least the 10-ms "
                                     f"sampling step, got {p['steps_duration']}")
    return p


def _combos(p):
    """Every (alpha, Gamma_S, delay) combination of the paired-pulse part, as three arrays."""
    delays = np.asarray(p["delays"] / ms, dtype=float)
    gammas = np.asarray(p["gamma_values"], dtype=float)
    combos = [(a, g, d) for a in (0.0, 1.0) for g in gammas for d in delays]
    return tuple(np.array([c[k] for c in combos]) for k in range(3))


def _pairs_network(p):
    """One spike pair per combination into synapses of both kinds of gliotransmission; returns objects,
    recorder, the synapses by alpha, the monitors and the run time."""
    alpha, gamma, delay = _combos(p)
    n = len(alpha)
    start = 5.0  # ms
    times = np.concatenate([np.full(n, start), start + delay]) * ms
    source = SpikeGeneratorGroup(n, np.tile(np.arange(n), 2), times, name="pairs")
    target = NeuronGroup(n, _RECORDER, name="release_recorder")
    objects, monitors, synapses = [source, target], {}, {}
    for a in (0.0, 1.0):  # alpha is a model constant, so one Synapses object per kind of gliotransmission
        index = np.flatnonzero(alpha == a)
        syn = tsodyks_markram.build(source, target, effect=_EFFECT, name=f"tm_alpha{int(a)}", alpha=a,
                                    U_0_star=p["U_0_star"], O_G=0 / (umolar * second), Omega_G=0 / second,
                                    method="euler")  # exact integration divides by O_G*G_A + Omega_G = 0
        syn.connect(i=index, j=index)
        syn.x_S = 1.0
        syn.Gamma_S = gamma[index]
        synapses[a] = (syn, index)
        monitors[f"synapses_alpha{int(a)}"] = StateMonitor(syn, ["u_S", "x_S"], record=True, dt=1 * ms,
                                                           name=f"state_alpha{int(a)}")
        objects += [syn, monitors[f"synapses_alpha{int(a)}"]]
    return objects, target, synapses, monitors, (start + delay.max() + 5) * ms


def _pairs_summary(p, r1, r2):
    """PPRs of one set against the closed form and table 8.2."""
    alpha, gamma, delay = _combos(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        ppr = np.where(r1 > 0, r2 / np.where(r1 > 0, r1, 1), np.nan)  # U_0 = 0 (alpha=0, Gamma_S=1): no release
    u0 = (1 - gamma) * p["U_0_star"] + alpha * gamma
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(u0 > 0, tsodyks_markram.paired_pulse_ratio(delay * 1e-3, np.where(u0 > 0, u0, 1)),
                            np.nan)
    table = _table_deviation(alpha, gamma, delay, ppr)
    summary = {"max_abs_error_vs_analytic": float(np.nanmax(np.abs(ppr - expected))),
               "max_abs_error_vs_table_8_2": table, "ppr": ppr.tolist(), "alpha": alpha.tolist(),
               "gamma_S": gamma.tolist(), "delay_ms": delay.tolist(), "first_release": r1.tolist()}
    return {"ppr": ppr, "expected": expected, "alpha": alpha, "gamma": gamma, "delay_ms": delay, "r1": r1,
            "summary": summary}


def run(overrides=None, *, seed=None, out=None, report=None):
    """Simulate every (alpha, Gamma_S, delay) combination at once; return PPRs and the analytic values."""
    p = validate(resolve(PARAMETERS, overrides or {}, NAME))
    objects, target, _, monitors, duration = _pairs_network(p)
    run_network(objects, duration, engine=p["engine"], seed=seed, report=report)
    pairs = _pairs_summary(p, np.asarray(target.r1[:]), np.asarray(target.r2[:]))
    summary = pairs.pop("summary")
    sweep = None
    if p["sweep_duration"] > 0:
        sweep = release_vs_rate(p["sweep_rates"] / Hz, p["sweep_duration"], transient=p["sweep_transient"],
                                repeats=p["sweep_repeats"], alpha=p["sweep_alpha"], input_kind=p["sweep_input"],
                                engine=p["engine"], seed=seed, report=report)
        summary.update(_finish_sweep(p, sweep))
        if p["engine"] == "brian2":  # a batched run keeps its copies in the simulator, not in the monitor
            monitors["sweep_synapse_state"] = sweep["monitor"]
    steps = None
    if p["steps_duration"] > 0:
        steps = _steps(p, seed, report)
        summary.update(steps_summary(steps, U_0=p["U_0_star"]))
        monitors.update(steps["monitors"])
    result = {"protocol": NAME, "params": p, **pairs, "summary": summary, "monitors": monitors, "sweep": sweep,
              "steps": steps}
    if out is not None:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=summary, seed=seed)
    return result


def _finish_sweep(p, sweep):
    sweep["reference"] = release_reference(sweep["rates_Hz"], U_0=p["U_0_star"]) \
        if p["sweep_input"] == "poisson" else None
    return _sweep_summary(sweep)


def _steps(p, seed, report=None):
    return rate_steps(p["steps_rates"] / Hz, p["steps_duration"], copies=p["steps_copies"], engine=p["engine"],
                      seed=seed, report=report)


#: Parameters that may differ between the parameter sets of one batched run (``run_batch``, sweeps). U_0_star and
#: sweep_alpha (constants of the synapses' code) stay structural: per-copy constants of Synapses code kept copy 0's
#: value in the engine when this was written (fixed since; batching them is left to do); so do the delays (spike times) and the sweep's transient and duration
#: (the run time). The steps part is a network of its own per set (run per set).
BATCH_PARAMETERS = ("gamma_values", "sweep_rates", "sweep_repeats", "sweep_input", "steps_rates", "steps_copies")


def structure(p):
    """What else must agree for sets to share the batched runs: the number of Gamma_S values."""
    return (len(np.atleast_1d(p["gamma_values"])),)


def copies(p):
    """Random streams one set takes: one per rate and repeat of its release-vs-rate sweep (at least one)."""
    return len(np.atleast_1d(np.asarray(p["sweep_rates"] / Hz))) * p["sweep_repeats"] if p["sweep_duration"] > 0 else 1


def run_batch(param_sets, *, seed=None):
    """Parameter sets that differ only in :data:`BATCH_PARAMETERS` as batched engine runs.

    The paired pulses of all sets are one batched run (Gamma_S per copy), the release-vs-rate sweeps
    of all sets another (their copies one after the other, so set ``k`` gets the streams it gets in
    :func:`run` with its seed, ``seed`` plus its stream offset); the rate-step time course, a network
    with its own TimedArray per set, runs per set with that seed. Returns one summary dict per set.
    """
    first = same_structure(NAME, param_sets, BATCH_PARAMETERS)
    for p in param_sets:
        validate(p)
        if structure(p) != structure(first):
            raise ValueError(f"{NAME}: run_batch needs the same number of gamma_values in every set")
    objects, target, synapses, _, duration = _pairs_network(first)
    values = []
    gammas = [_combos(p)[1] for p in param_sets]
    if any(np.any(g != gammas[0]) for g in gammas):
        for syn, index in synapses.values():
            values.append((syn, "Gamma_S", np.stack([g[index] for g in gammas])))
    sim = run_network(objects, duration, engine="astrosim", seed=seed, batch=len(param_sets), batch_values=values)
    r1, r2 = np.asarray(sim.get_states(target, "r1")), np.asarray(sim.get_states(target, "r2"))
    summaries = [_pairs_summary(p, r1[b], r2[b])["summary"] for b, p in enumerate(param_sets)]
    offsets = np.cumsum([0] + [copies(p) for p in param_sets])
    if first["sweep_duration"] > 0:
        for summary, (p, sweep) in zip(summaries, zip(param_sets, _release_vs_rate_sets(param_sets, seed))):
            summary.update(_finish_sweep(p, sweep))
    if first["steps_duration"] > 0:
        for k, (summary, p) in enumerate(zip(summaries, param_sets)):
            steps = _steps(p, copy_seed(seed, int(offsets[k])))
            summary.update(steps_summary(steps, U_0=p["U_0_star"]))
    return summaries


def release_vs_rate(rates, duration, *, transient=15 * second, repeats=3, alpha=0.0, input_kind="poisson",
                    engine="astrosim", seed=None, dt=1 * ms, sample_dt=10 * ms, report=None):
    """Mean release per spike against input rate without, with open-loop and with closed-loop gliotransmission.

    Stimberg et al. (2019) Fig. 4C (Brian2 example ``example_4_rsmean``): each rate drives one unit of three
    Tsodyks-Markram synapses from the same input spikes. The closed-loop synapse feeds a G-ChI astrocyte
    whose gliotransmitter acts back on it; the open-loop synapse receives gliotransmitter from an
    astrocyte that oscillates on its own (IP3 clamped near 1 uM) and ignores the input; the third has no
    gliotransmission. Released resources r_S are averaged over the spikes after ``transient`` (for
    Poisson input this equals the time average of r_S that the example plots, without its bias from
    the r_S = 0 before the first spike); mean synaptic glutamate Y_S is sampled every ``sample_dt``.
    With the astrosim engine every (rate, repeat) copy is one batch entry of a single compiled run;
    with Brian2 the copies are independent units of one network.

    Returns
    -------
    dict
        ``rates_Hz``; per condition (``SWEEP_CONDITIONS``): ``release`` (mean r_S per spike, rates),
        ``release_sem`` (across repeats), ``glutamate_uM`` (time-averaged Y_S), ``gamma_at_spikes``
        (mean Gamma_S at the spikes); ``spikes`` (counted spikes per rate); ``sim``.
    """
    if engine == "astrosim":
        (out,), sim, monitor = _sweep_runs([(rates, repeats, input_kind)], duration, transient=transient, alpha=alpha,
                                           seed=seed, dt=dt, sample_dt=sample_dt, report=report)
        return {**out, "sim": sim, "monitor": monitor}
    rates = np.asarray(rates, dtype=float)
    copies = np.repeat(rates, repeats)
    net = fig4_units(len(copies), copies * Hz, input_kind=input_kind, alpha=alpha, t_measure=transient, dt=dt,
                     sample_dt=sample_dt)
    run_network(net.objects, transient + duration, engine=engine, seed=seed, report=report)
    states = {var: np.asarray(getattr(net.recorder, var)[:]) for var in ("r_sum", "r_sq", "gamma_sum", "n_rel")}
    t = np.asarray(net.monitor.t / second)
    y_s = np.asarray(net.monitor.Y_S / umolar).reshape(len(copies), 3, -1).transpose(0, 2, 1)
    return {**_sweep_result(rates, repeats, transient, states, t, y_s), "sim": None, "monitor": net.monitor}


def _sweep_runs(sets, duration, *, transient, alpha, seed, dt=1 * ms, sample_dt=10 * ms, report=None):
    """The release-vs-rate units of several sets ``(rates, repeats, input_kind)`` as one batched engine run.

    Copies follow the sets in order (each rate-major, then repeats), so a set whose copies start at
    ``k`` gets the engine's streams ``k, k+1, ...`` of ``seed``. Returns (one result per set, sim, monitor).
    """
    per_set = [np.repeat(np.asarray(r, dtype=float), k) for r, k, _ in sets]
    copies = np.concatenate(per_set)
    regular = np.concatenate([np.full(len(c), float(kind == "regular")) for c, (_, _, kind) in zip(per_set, sets)])
    net = fig4_units(1, copies[0] * Hz, input_kind=sets[0][2], alpha=alpha, t_measure=transient, dt=dt,
                     sample_dt=sample_dt)
    batch_values = [(net.source, "rate", copies[:, None] * Hz)]
    if np.any(regular != regular[0]):  # equal values keep the kernel of a plain run
        batch_values.append((net.source, "regular", regular))
    sim = run_network(net.objects, transient + duration, engine="astrosim", seed=seed, batch=len(copies),
                      batch_values=batch_values, report=report)
    states = {var: np.asarray(sim.get_states(net.recorder, var)) for var in ("r_sum", "r_sq", "gamma_sum", "n_rel")}
    data = sim.monitor_data(net.monitor)
    t, y_s = np.asarray(data["t"]), np.asarray(data["Y_S"]) / float(umolar)  # (copies, time, 3)
    out, start = [], 0
    for (rates, repeats, _), c in zip(sets, per_set):
        stop = start + len(c)
        out.append(_sweep_result(np.asarray(rates, dtype=float), repeats, transient,
                                 {k: v[start:stop] for k, v in states.items()}, t, y_s[start:stop]))
        start = stop
    return out, sim, net.monitor


def _release_vs_rate_sets(param_sets, seed):
    """Release-vs-rate sweeps of resolved parameter sets (equal duration, transient and alpha), one batched run."""
    first = param_sets[0]
    sets = [(np.asarray(p["sweep_rates"] / Hz, dtype=float), p["sweep_repeats"], p["sweep_input"]) for p in param_sets]
    results, _, _ = _sweep_runs(sets, first["sweep_duration"], transient=first["sweep_transient"],
                                alpha=first["sweep_alpha"], seed=seed)
    return results


def _sweep_result(rates, repeats, t_measure, states, t, y_s):
    """Per-rate means of one set: recorder sums ``states`` (copies, 3) and Y_S traces ``y_s`` (copies, time, 3)."""
    states = {k: np.asarray(v).reshape(len(rates), repeats, 3) for k, v in states.items()}  # rate, repeat, condition
    keep = t >= float(t_measure / second)
    glutamate = y_s[:, keep, :].mean(axis=1).reshape(len(rates), repeats, 3).mean(axis=1)
    n = states["n_rel"].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        release = states["r_sum"].sum(axis=1) / n
        per_copy = states["r_sum"] / states["n_rel"]
        gamma = states["gamma_sum"].sum(axis=1) / n
    sem = np.nanstd(per_copy, axis=1, ddof=1) / np.sqrt(np.sum(np.isfinite(per_copy), axis=1)) \
        if repeats > 1 else np.full_like(release, np.nan)
    out = {"rates_Hz": rates, "spikes": n[:, 0]}
    for c, label in enumerate(SWEEP_CONDITIONS):
        out[label] = {"release": release[:, c], "release_sem": sem[:, c], "glutamate_uM": glutamate[:, c],
                      "gamma_at_spikes": gamma[:, c]}
    return out


def _sweep_summary(sweep):
    """Rounded curves, the high-rate ratios to no gliotransmission and, for Poisson input, the reference."""
    out = {"sweep_rates_Hz": np.round(sweep["rates_Hz"], 4).tolist()}
    for label in SWEEP_CONDITIONS:
        cond = sweep[label]
        out[f"sweep {label} mean release per spike"] = np.round(cond["release"], 4).tolist()
        out[f"sweep {label} mean glutamate (uM)"] = np.round(cond["glutamate_uM"], 3).tolist()
        out[f"sweep {label} mean Gamma_S at spikes"] = np.round(cond["gamma_at_spikes"], 3).tolist()
    none = sweep["none"]["release"][-1]
    for label in ("closed-loop", "open-loop"):
        out[f"sweep {label} / none release at {sweep['rates_Hz'][-1]:g} Hz"] = float(sweep[label]["release"][-1] / none)
    if sweep.get("reference") is not None:
        ref = sweep["reference"]
        out["sweep none: reference (exact spike map)"] = np.round(ref, 4).tolist()
        out["sweep none: max |simulated - reference|"] = float(np.nanmax(np.abs(sweep["none"]["release"] - ref)))
    return out


def _table_deviation(alpha, gamma, delay, ppr):
    """Largest |PPR - table| over the combinations that appear in models-and-validation 8.2 (NaN if none)."""
    worst = float("nan")
    for a, g, d, value in zip(alpha, gamma, delay, ppr):
        row = TABLE_8_2.get(int(round(d))) if abs(d - round(d)) < 1e-9 else None
        if row is None:
            continue
        if g == 0:
            ref = row[0]
        elif a == 0 and g in (0.25, 0.5, 0.75):
            ref = row[1][(0.25, 0.5, 0.75).index(g)]
        elif a == 1 and g in (0.25, 0.5, 0.75, 1.0):
            ref = row[2][(0.25, 0.5, 0.75, 1.0).index(g)]
        else:
            continue
        err = abs(value - ref)
        worst = err if np.isnan(worst) else max(worst, err)
    return worst


def plot(result, path):
    """PPR against Gamma_S (analytic lines) and, if run, release against rate and the glutamate time course."""
    import matplotlib.pyplot as plt

    sweep, steps = result.get("sweep"), result.get("steps")
    rows = 1 + bool(sweep) + bool(steps)
    fig, axes = plt.subplots(rows, 2, figsize=(10, 4 * rows), squeeze=False)
    for ax, a, label in zip(axes[0], (0.0, 1.0), ("alpha = 0 (release-decreasing)", "alpha = 1 (release-increasing)")):
        for d in np.unique(result["delay_ms"]):
            sel = (result["alpha"] == a) & (result["delay_ms"] == d)
            line, = ax.plot(result["gamma"][sel], result["ppr"][sel], "o", label=f"{d:g} ms")
            ax.plot(result["gamma"][sel], result["expected"][sel], "-", color=line.get_color(), lw=0.8)
        ax.axhline(1, color="k", lw=0.5)
        ax.set(xlabel="Gamma_S", ylabel="paired-pulse ratio r2/r1", title=label)
    axes[0, 0].legend(title="delay (dots: simulated, lines: analytic)", fontsize=7)
    if sweep:
        colors = {"none": "black", "open-loop": "C2", "closed-loop": "C3"}
        rates = sweep["rates_Hz"]
        for label in ("none", "open-loop", "closed-loop"):
            cond = sweep[label]
            axes[1, 0].errorbar(rates, cond["release"], yerr=cond["release_sem"], fmt="o-", ms=4, color=colors[label],
                                label=f"{label} gliotransmission" if label != "none" else "no gliotransmission")
            axes[1, 1].plot(rates, cond["glutamate_uM"], "o-", ms=4, color=colors[label])
        if sweep.get("reference") is not None:
            axes[1, 0].plot(rates, sweep["reference"], "--", color="gray", lw=1, label="exact spike map (none)")
        alpha = result["params"]["sweep_alpha"]
        axes[1, 0].set(xscale="log", xlabel="input rate (Hz)", ylabel="mean release per spike <r_S>",
                       title=f"Stimberg et al. Fig. 4C sweep (alpha = {alpha:g})")
        axes[1, 0].legend(fontsize=7)
        axes[1, 1].set(xscale="log", yscale="log", xlabel="input rate (Hz)", ylabel="mean synaptic glutamate Y_S (µM)",
                       title="time-averaged released glutamate")
    if steps:
        plot_steps(steps, axes[-1])
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
