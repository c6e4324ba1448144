"""Stimberg et al. (2019) Fig. 4 units (closed-loop, open-loop, no gliotransmission) and the Fig. 4B rate-step time course."""
from types import SimpleNamespace

import numpy as np
from brian2 import Hz, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, TimedArray, ms, second, umolar

from astrosim.models.astrocytes import gchi
from astrosim.models.synapses import tsodyks_markram

from ._base import run_network

__all__ = ["SWEEP_CONDITIONS", "FIG4_ASTROCYTE", "OPEN_LOOP_I_BIAS", "fig4_units", "rate_steps", "release_reference",
           "campbell_glutamate", "steps_summary", "plot_steps"]

_PROTOCOL = "gliotransmission"

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


def fig4_units(n_units, rate, *, input_kind, alpha, t_measure, dt, sample_dt, prefix="sweep",
               monitor_vars=("Y_S", "Gamma_S")):
    """``n_units`` independent units: one input, three synapses (closed/open/none), two G-ChI astrocytes.

    ``rate``: a Quantity (per unit, a settable constant) or a TimedArray of time (the same for all units).
    """
    if input_kind not in ("poisson", "regular"):
        raise ValueError(f"{_PROTOCOL}: input_kind must be 'poisson' or 'regular', got {input_kind!r}")
    # One source model for both kinds (the choice is a constant, so both share one compiled kernel):
    # Bernoulli spikes with probability rate*dt per step, or a spike whenever the phase reaches 1.
    stepped = isinstance(rate, TimedArray)
    namespace = {"regular": float(input_kind == "regular")} | ({"rate_in": rate} if stepped else {})
    source = NeuronGroup(n_units, ("rate = rate_in(t) : Hz" if stepped else "rate : Hz (constant)")
                         + "\ndphase/dt = rate : 1",
                         threshold="regular * int(phase >= 1) + (1 - regular) * int(rand() < rate*dt) > 0",
                         reset="phase -= regular", method="euler", dt=dt, name=f"{prefix}_input", namespace=namespace)
    if not stepped:
        source.rate = rate
    source.phase = 0.5
    recorder = NeuronGroup(3 * n_units, _SWEEP_RECORDER, dt=dt, name=f"{prefix}_recorder")
    recorder.t_measure = t_measure
    syn = tsodyks_markram.build(source, recorder, effect=_SWEEP_EFFECT, alpha=alpha, dt=dt, name=f"{prefix}_synapses")
    unit = np.arange(n_units)
    syn.connect(i=np.repeat(unit, 3), j=np.arange(3 * n_units))  # synapse 3k + c: condition c of unit k
    syn.x_S = 1.0
    astro = gchi.build(2 * n_units, dt=dt, name=f"{prefix}_astrocytes", **FIG4_ASTROCYTE)
    astro.C, astro.I, astro.h = 0 * umolar, 0 * umolar, 0.9
    astro.I_bias = np.tile([0.0, 1.0], n_units) * OPEN_LOOP_I_BIAS  # astrocyte 2k: closed, 2k+1: open
    to_astro = Synapses(syn, astro, "Y_S_post = Y_S_pre : mmolar (summed)", dt=dt, name=f"{prefix}_syn_to_astro")
    to_astro.connect(i=3 * unit, j=2 * unit)
    to_syn = Synapses(astro, syn, "G_A_post = G_A_pre : mmolar (summed)", dt=dt, name=f"{prefix}_astro_to_syn")
    to_syn.connect(i=np.concatenate([2 * unit, 2 * unit + 1]), j=np.concatenate([3 * unit, 3 * unit + 1]))
    monitor = StateMonitor(syn, list(monitor_vars), record=True, dt=sample_dt, name=f"{prefix}_synapse_state")
    return SimpleNamespace(source=source, recorder=recorder, synapses=syn, astrocytes=astro, monitor=monitor,
                           objects=[source, recorder, syn, astro, to_astro, to_syn, monitor])


_STEPS_MEAN = """
Y_mean : mmolar
Gamma_mean : 1
"""


def rate_steps(rates, step_duration, *, copies=500, alpha=0.0, input_kind="poisson", engine="astrosim", seed=None,
               dt=1 * ms, sample_dt=10 * ms, report=None):
    """Mean synaptic glutamate over time while the input rate steps through ``rates`` (Stimberg 2019, Fig. 4B).

    ``copies`` independent units of :func:`release_vs_rate` (one input, closed-loop / open-loop / no
    gliotransmission synapses, two G-ChI astrocytes) in one network, all driven at the rate
    ``rates[k]`` during step k (a TimedArray, as in the Brian2 example ``example_4_synrel``). The mean
    Y_S and Gamma_S of each condition over the units are summed into a 3-cell group (recorded every
    ``sample_dt``); per-synapse Y_S gives per-step means and their SEM over units.

    Returns
    -------
    dict
        ``rates_Hz``, ``step_s``, ``t`` (s), per condition (``SWEEP_CONDITIONS``): ``glutamate_uM`` (mean Y_S
        trace), ``gamma`` (mean Gamma_S trace), ``step_glutamate_uM``, ``step_glutamate_sem_uM``,
        ``step_gamma`` (per-step means); ``input_spikes`` (per step), ``closed_loop_activated`` (fraction of
        closed-loop astrocytes that released gliotransmitter by the end of each step), ``release_times``
        and ``release_astrocyte`` (all astrocytic releases), ``monitors`` and ``network``.
    """
    rates = np.asarray(rates, dtype=float)
    step = float(step_duration / second)
    if step < float(sample_dt / second) or copies < 2:
        raise ValueError(f"{_PROTOCOL}: the rate steps need step_duration >= sample_dt ({sample_dt}) and at least "
                         f"2 copies, got {step_duration} and {copies}")
    rate_in = TimedArray(rates * Hz, dt=step_duration, name="steps_rate_in")
    net = fig4_units(copies, rate_in, input_kind=input_kind, alpha=alpha, t_measure=0 * second, dt=dt,
                       sample_dt=sample_dt, prefix="steps", monitor_vars=("Y_S",))
    means = NeuronGroup(3, _STEPS_MEAN, dt=dt, name="steps_condition_mean")
    to_mean = Synapses(net.synapses, means, "Y_mean_post = Y_S_pre/n_units : mmolar (summed)\n"
                       "Gamma_mean_post = Gamma_S_pre/n_units : 1 (summed)", dt=dt, namespace={"n_units": copies},
                       name="steps_to_mean")
    to_mean.connect(i=np.arange(3 * copies), j=np.arange(3 * copies) % 3)
    for updater in to_mean.summed_updaters.values():  # sum after the releases of the step, as the monitors see it
        updater.when = "end"
    monitors = {"steps_condition_mean": StateMonitor(means, ["Y_mean", "Gamma_mean"], record=True, dt=sample_dt,
                                                     name="steps_mean_state"),
                "steps_input_spikes": SpikeMonitor(net.source, name="steps_input_spikes"),
                "steps_astrocyte_releases": SpikeMonitor(net.astrocytes, name="steps_astrocyte_releases")}
    run_network(net.objects + [means, to_mean] + list(monitors.values()), len(rates) * step_duration, engine=engine,
                seed=seed, report=report)
    t = np.asarray(monitors["steps_condition_mean"].t / second)
    which = np.minimum((t / step + 1e-9).astype(int), len(rates) - 1)  # step of each sample
    per_synapse = np.asarray(net.monitor.Y_S / umolar).reshape(copies, 3, -1)  # unit, condition, time
    per_step = np.stack([per_synapse[:, :, which == k].mean(axis=2) for k in range(len(rates))], axis=2)
    spikes = np.asarray(monitors["steps_input_spikes"].t / second)
    release_t = np.asarray(monitors["steps_astrocyte_releases"].t / second)
    release_i = np.asarray(monitors["steps_astrocyte_releases"].i[:])
    first = np.full(copies, np.inf)  # first release of each closed-loop astrocyte (even indices)
    closed = release_i % 2 == 0
    np.minimum.at(first, release_i[closed] // 2, release_t[closed])
    out = {"rates_Hz": rates, "step_s": step, "copies": copies, "t": t, "monitors": monitors, "network": net,
           "input_spikes": np.histogram(spikes, bins=len(rates), range=(0, len(rates) * step))[0],
           "closed_loop_activated": np.array([np.mean(first < (k + 1) * step) for k in range(len(rates))]),
           "release_times": release_t, "release_astrocyte": release_i}
    mean_state = monitors["steps_condition_mean"]
    for c, label in enumerate(SWEEP_CONDITIONS):
        gamma = np.asarray(mean_state.Gamma_mean[c])
        out[label] = {"glutamate_uM": np.asarray(mean_state.Y_mean[c] / umolar), "gamma": gamma,
                      "step_glutamate_uM": per_step[:, c].mean(axis=0),
                      "step_glutamate_sem_uM": per_step[:, c].std(axis=0, ddof=1) / np.sqrt(copies),
                      "step_gamma": np.array([gamma[which == k].mean() for k in range(len(rates))])}
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


def steps_summary(steps, *, U_0):
    """Per-step mean glutamate (SEM) per condition, ratios to no gliotransmission, activation, Campbell value."""
    out = {"steps_rates_Hz": steps["rates_Hz"].tolist(), "steps input spikes": steps["input_spikes"].tolist(),
           "steps closed-loop astrocytes activated by step end": np.round(steps["closed_loop_activated"], 3).tolist()}
    none = steps["none"]["step_glutamate_uM"]
    for label in SWEEP_CONDITIONS:
        cond = steps[label]
        out[f"steps {label} mean glutamate (uM)"] = np.round(cond["step_glutamate_uM"], 3).tolist()
        out[f"steps {label} glutamate SEM (uM)"] = np.round(cond["step_glutamate_sem_uM"], 3).tolist()
        out[f"steps {label} mean Gamma_S"] = np.round(cond["step_gamma"], 3).tolist()
        if label != "none":
            out[f"steps {label} / none glutamate"] = np.round(cond["step_glutamate_uM"] / none, 3).tolist()
    # Campbell's theorem for a rested synapse (release U_0 per spike) at the first (lowest) rate
    rate = steps["rates_Hz"][0]
    out["steps none first step: Campbell rate*rho_c*Y_T*r_S/Omega_c (uM)"] = \
        float(campbell_glutamate(rate, release_reference([rate], U_0=U_0)[0]))
    return out


def campbell_glutamate(rate, release):
    """Time-averaged Y_S (uM) of a synapse releasing ``release`` per spike on average at ``rate`` (Hz).

    Campbell's theorem for shot noise: each spike adds rho_c Y_T r_S, cleared at Omega_c, so the mean is
    rate * rho_c * Y_T * <r_S> / Omega_c (Poisson input, stationary release).
    """
    p = tsodyks_markram.PARAMETERS
    return np.asarray(rate, dtype=float) * np.asarray(release, dtype=float) * float(p["rho_c"] * p["Y_T"] /
                                                                                   (p["Omega_c"] * umolar * second))


def plot_steps(steps, axes):
    """Fig. 4B: mean Y_S (left) and mean Gamma_S (right) against time, rate steps marked."""
    colors = {"none": "black", "open-loop": "C2", "closed-loop": "C3"}
    step, rates = steps["step_s"], steps["rates_Hz"]
    for label in ("none", "open-loop", "closed-loop"):
        name = f"{label} gliotransmission" if label != "none" else "no gliotransmission"
        axes[0].plot(steps["t"], steps[label]["glutamate_uM"], lw=0.8, color=colors[label], label=name)
        axes[1].plot(steps["t"], steps[label]["gamma"], lw=1.2, color=colors[label], label=name)
    axes[1].plot((np.arange(len(rates)) + 1) * step, steps["closed_loop_activated"], "v", color="C3", ms=6,
                 label="closed-loop astrocytes released by step end")
    for ax in axes:
        for k, rate in enumerate(rates):
            ax.axvline(k * step, color="gray", lw=0.6, ls=":")
            ax.text((k + 0.5) * step, 1.0, f"{rate:g} Hz", transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=8)
    axes[0].set(xlabel="time (s)", ylabel="mean synaptic glutamate <Y_S> (µM)")
    axes[0].set_title(f"Stimberg et al. Fig. 4B: mean of {steps['copies']} synapses per condition", pad=14)
    axes[1].set_title("presynaptic receptors bound by gliotransmitter", pad=14)
    axes[1].set(xlabel="time (s)", ylabel="mean receptor occupancy <Gamma_S>", ylim=(-0.02, 1.02))
    axes[0].legend(fontsize=7, loc="upper left")
    axes[1].legend(fontsize=7, loc="center left")
