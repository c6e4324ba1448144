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
"""
from types import SimpleNamespace

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeGeneratorGroup, StateMonitor, Synapses, ms, second, umolar

from astrosim.models.synapses import tsodyks_markram
from astrosim.models.astrocytes import gchi

from ._base import Parameter, resolve, run_network, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "TABLE_8_2", "SWEEP_CONDITIONS", "release_vs_rate",
           "release_reference"]

NAME = "gliotransmission"
SUMMARY = ("paired-pulse ratio with/without gliotransmission vs analytic; release vs input rate without, "
           "open-loop, closed-loop (Stimberg Fig. 4C)")

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


def run(overrides=None, *, seed=None, out=None, report=None):
    """Simulate every (alpha, Gamma_S, delay) combination at once; return PPRs and the analytic values."""
    p = resolve(PARAMETERS, overrides or {}, NAME)
    delays = np.asarray(p["delays"] / ms, dtype=float)
    gammas = np.asarray(p["gamma_values"], dtype=float)
    combos = [(a, g, d) for a in (0.0, 1.0) for g in gammas for d in delays]
    n = len(combos)
    alpha = np.array([c[0] for c in combos])
    gamma = np.array([c[1] for c in combos])
    delay = np.array([c[2] for c in combos])
    start = 5.0  # ms
    times = np.concatenate([np.full(n, start), start + delay]) * ms
    source = SpikeGeneratorGroup(n, np.tile(np.arange(n), 2), times, name="pairs")
    target = NeuronGroup(n, _RECORDER, name="release_recorder")
    objects, monitors = [source, target], {}
    for a in (0.0, 1.0):  # alpha is a model constant, so one Synapses object per kind of gliotransmission
        index = np.flatnonzero(alpha == a)
        syn = tsodyks_markram.build(source, target, effect=_EFFECT, name=f"tm_alpha{int(a)}", alpha=a,
                                    U_0_star=p["U_0_star"], O_G=0 / (umolar * second), Omega_G=0 / second,
                                    method="euler")  # exact integration divides by O_G*G_A + Omega_G = 0
        syn.connect(i=index, j=index)
        syn.x_S = 1.0
        syn.Gamma_S = gamma[index]
        monitors[f"synapses_alpha{int(a)}"] = StateMonitor(syn, ["u_S", "x_S"], record=True, dt=1 * ms,
                                                           name=f"state_alpha{int(a)}")
        objects += [syn, monitors[f"synapses_alpha{int(a)}"]]
    run_network(objects, (start + delays.max() + 5) * ms, engine=p["engine"], seed=seed, report=report)
    r1, r2 = np.asarray(target.r1[:]), np.asarray(target.r2[:])
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
    sweep = None
    if p["sweep_duration"] > 0:
        sweep = release_vs_rate(p["sweep_rates"] / Hz, p["sweep_duration"], transient=p["sweep_transient"],
                                repeats=p["sweep_repeats"], alpha=p["sweep_alpha"], input_kind=p["sweep_input"],
                                engine=p["engine"], seed=seed, report=report)
        sweep["reference"] = release_reference(sweep["rates_Hz"], U_0=p["U_0_star"]) \
            if p["sweep_input"] == "poisson" else None
        summary.update(_sweep_summary(sweep))
        if p["engine"] == "brian2":  # a batched run keeps its copies in the simulator, not in the monitor
            monitors["sweep_synapse_state"] = sweep["monitor"]
    result = {"protocol": NAME, "params": p, "ppr": ppr, "expected": expected, "alpha": alpha, "gamma": gamma,
              "delay_ms": delay, "r1": r1, "summary": summary, "monitors": monitors, "sweep": sweep}
    if out is not None:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=summary)
    return result


#: Order of the three synapses of a sweep unit (Stimberg et al. 2019, Fig. 4C / example_4_rsmean).
SWEEP_CONDITIONS = ("closed-loop", "open-loop", "none")

#: Values of the Stimberg et al. example for Fig. 4 that differ from the G-ChI defaults (rho_A, Omega_L,
#: d_2, d_5; SERCA affinity K_P = 0.05 uM) and the exogenous IP3 clamp F_ex = 2 uM/s that holds the
#: open-loop astrocyte's IP3 near I_bias = 1 uM (an oscillating, input-independent astrocyte).
FIG4_ASTROCYTE = {"c1": 0.18, "v2": 0.1 / second, "d2": 1.05 * umolar, "d5": 0.08 * umolar, "k3": 0.05 * umolar,
                  "F_ex": 2.0 * umolar / second}
OPEN_LOOP_I_BIAS = 1.0 * umolar

_SWEEP_RECORDER = """
t_measure : second (constant)
r_sum : 1
r_sq : 1
gamma_sum : 1
n_rel : 1
"""
_SWEEP_EFFECT = """
r_sum_post += r_S * int(t >= t_measure_post)
r_sq_post += r_S**2 * int(t >= t_measure_post)
gamma_sum_post += Gamma_S * int(t >= t_measure_post)
n_rel_post += int(t >= t_measure_post)
"""


def _sweep_units(n_units, rate, *, input_kind, alpha, t_measure, dt, sample_dt):
    """``n_units`` independent units: one input, three synapses (closed/open/none), two G-ChI astrocytes."""
    if input_kind not in ("poisson", "regular"):
        raise ValueError(f"{NAME}: input_kind must be 'poisson' or 'regular', got {input_kind!r}")
    # One source model for both kinds (the choice is a constant, so both share one compiled kernel):
    # Bernoulli spikes with probability rate*dt per step, or a spike whenever the phase reaches 1.
    source = NeuronGroup(n_units, "rate : Hz (constant)\ndphase/dt = rate : 1",
                         threshold="regular * int(phase >= 1) + (1 - regular) * int(rand() < rate*dt) > 0",
                         reset="phase -= regular", method="euler", dt=dt, name="sweep_input",
                         namespace={"regular": float(input_kind == "regular")})
    source.rate = rate
    source.phase = 0.5
    recorder = NeuronGroup(3 * n_units, _SWEEP_RECORDER, dt=dt, name="sweep_recorder")
    recorder.t_measure = t_measure
    syn = tsodyks_markram.build(source, recorder, effect=_SWEEP_EFFECT, alpha=alpha, dt=dt, name="sweep_synapses")
    unit = np.arange(n_units)
    syn.connect(i=np.repeat(unit, 3), j=np.arange(3 * n_units))  # synapse 3k + c: condition c of unit k
    syn.x_S = 1.0
    astro = gchi.build(2 * n_units, dt=dt, name="sweep_astrocytes", **FIG4_ASTROCYTE)
    astro.C, astro.I, astro.h = 0 * umolar, 0 * umolar, 0.9
    astro.I_bias = np.tile([0.0, 1.0], n_units) * OPEN_LOOP_I_BIAS  # astrocyte 2k: closed, 2k+1: open
    to_astro = Synapses(syn, astro, "Y_S_post = Y_S_pre : mmolar (summed)", dt=dt, name="sweep_syn_to_astro")
    to_astro.connect(i=3 * unit, j=2 * unit)
    to_syn = Synapses(astro, syn, "G_A_post = G_A_pre : mmolar (summed)", dt=dt, name="sweep_astro_to_syn")
    to_syn.connect(i=np.concatenate([2 * unit, 2 * unit + 1]), j=np.concatenate([3 * unit, 3 * unit + 1]))
    monitor = StateMonitor(syn, ["Y_S", "Gamma_S"], record=True, dt=sample_dt, name="sweep_synapse_state")
    return SimpleNamespace(source=source, recorder=recorder, synapses=syn, astrocytes=astro, monitor=monitor,
                           objects=[source, recorder, syn, astro, to_astro, to_syn, monitor])


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
    rates = np.asarray(rates, dtype=float)
    copies = np.repeat(rates, repeats)
    t_measure = transient
    batched = engine == "astrosim"
    net = _sweep_units(1 if batched else len(copies), (copies[0] if batched else copies) * Hz,
                       input_kind=input_kind, alpha=alpha, t_measure=t_measure, dt=dt, sample_dt=sample_dt)
    batch_values = [(net.source, "rate", copies[:, None] * Hz)] if batched else []
    sim = run_network(net.objects, transient + duration, engine=engine, seed=seed,
                      batch=len(copies) if batched else None, batch_values=batch_values, report=report)
    states = {}
    for var in ("r_sum", "r_sq", "gamma_sum", "n_rel"):
        values = np.asarray(sim.get_states(net.recorder, var) if batched else getattr(net.recorder, var)[:])
        states[var] = values.reshape(len(rates), repeats, 3)  # rate, repeat, condition
    if batched:
        data = sim.monitor_data(net.monitor)
        t, y_s = np.asarray(data["t"]), np.asarray(data["Y_S"]) / float(umolar)  # (copies, time, 3)
    else:
        t = np.asarray(net.monitor.t / second)
        y_s = np.asarray(net.monitor.Y_S / umolar).reshape(len(copies), 3, -1).transpose(0, 2, 1)
    keep = t >= float(t_measure / second)
    glutamate = y_s[:, keep, :].mean(axis=1).reshape(len(rates), repeats, 3).mean(axis=1)
    n = states["n_rel"].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        release = states["r_sum"].sum(axis=1) / n
        per_copy = states["r_sum"] / states["n_rel"]
        gamma = states["gamma_sum"].sum(axis=1) / n
    sem = np.nanstd(per_copy, axis=1, ddof=1) / np.sqrt(np.sum(np.isfinite(per_copy), axis=1)) \
        if repeats > 1 else np.full_like(release, np.nan)
    out = {"rates_Hz": rates, "spikes": n[:, 0], "sim": sim, "monitor": net.monitor}
    for c, label in enumerate(SWEEP_CONDITIONS):
        out[label] = {"release": release[:, c], "release_sem": sem[:, c], "glutamate_uM": glutamate[:, c],
                      "gamma_at_spikes": gamma[:, c]}
    return out


def release_reference(rates, *, U_0=0.6, Omega_f=3.33, Omega_d=2.0, dt=1e-3, spikes=20000, seed=0):
    """Mean release per spike of a synapse without gliotransmission, by iterating its exact spike-to-spike map.

    Independent of any simulator: inter-spike intervals are drawn as on the engine's dt grid
    (Bernoulli input with probability rate*dt per step, i.e. geometric intervals); between spikes
    u_S decays and x_S recovers exponentially. The first 10 % of spikes are discarded.
    """
    rates = np.asarray(rates, dtype=float)
    rng = np.random.default_rng(seed)
    u, x, total, counted = np.zeros_like(rates), np.ones_like(rates), np.zeros_like(rates), 0
    for k in range(spikes):
        delta = rng.geometric(np.clip(rates * dt, 0, 1)) * dt
        u = u * np.exp(-Omega_f * delta)
        x = 1 - (1 - x) * np.exp(-Omega_d * delta)
        u = u + U_0 * (1 - u)
        r = u * x
        x = x - r
        if k >= spikes // 10:
            total, counted = total + r, counted + 1
    return total / counted


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
    """PPR against Gamma_S for both kinds of gliotransmission (analytic lines) and, if run, release against rate."""
    import matplotlib.pyplot as plt

    sweep = result.get("sweep")
    fig, axes = plt.subplots(2 if sweep else 1, 2, figsize=(10, 8 if sweep else 4), squeeze=False)
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
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
