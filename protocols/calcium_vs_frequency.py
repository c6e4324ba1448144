"""Paper Fig. 3: mean astrocytic Ca2+ of the AN model against presynaptic Poisson rate, and its sublinear exponent.

Mia, Bal & Sengupta (arXiv 2312.10925), Fig. 3, justify the exponent alpha of Eq. 14 with a
concave Ca2+-frequency curve of the AN model, without stating the protocol. Here every rate gets
its own independent AN unit (one astrocyte, ``neurons_per_astrocyte`` LIF neurons with
``synapses_per_neuron`` Poisson inputs each); Ca2+ is averaged over [average_from, duration] and
over ``repeats`` copies, and ``Ca ~ f**alpha`` is fitted in log-log coordinates, on raw Ca2+ and
on Ca2+ above its resting value. With the astrosim engine the whole sweep is one batched run.
"""
import json

import numpy as np
from brian2 import Hz, StateMonitor, ms, second, umolar

from astrosim.models import an_model
from astrosim.models.astrocytes import li_rinzel

from ._base import Parameter, protocol_metadata, resolve, run_network, write_output

__all__ = ["NAME", "SUMMARY", "PARAMETERS", "run", "plot", "fit_exponent", "PAPER_FIG3", "BATCH_PARAMETERS",
           "copies", "run_batch"]

NAME = "calcium_vs_frequency"
SUMMARY = "paper Fig. 3: AN-model mean astrocytic Ca2+ vs presynaptic rate (1-10 Hz), fitted exponent alpha"

#: Values read off the paper's Fig. 3 (paper-notes 3.5; approximate, read from the plot).
PAPER_FIG3 = {"rate_Hz": np.arange(1, 11, dtype=float),
              "Ca_uM": np.array([0.115, 0.122, 0.125, 0.1275, 0.129, 0.130, 0.1305, 0.131, 0.131, 0.1325])}

PARAMETERS = (
    Parameter("rates", np.arange(1.0, 11.0) * Hz, "presynaptic Poisson rates swept", low=0.01 * Hz, high=200 * Hz),
    Parameter("synapses_per_neuron", 10, "input synapses per LIF neuron (lab code: 10)", low=1, high=100),
    Parameter("neurons_per_astrocyte", 2, "LIF neurons sharing one astrocyte (lab code: 2)", low=1, high=50),
    Parameter("duration", 100 * second, "simulated time per rate", low=1 * second, high=3600 * second),
    Parameter("average_from", 50 * second, "start of the Ca2+ averaging window (window ends at duration)",
              low=0 * second, high=3600 * second),
    Parameter("repeats", 4, "independent copies per rate (averaged)", low=1, high=100),
    Parameter("PR0", 0.3, "resting release probability", low=0.0, high=1.0),
    Parameter("glu_latch", 0.0, "1: glutamate keeps pulsing after the first threshold crossing (lab code)",
              low=0.0, high=1.0),
    Parameter("record_dt", 10 * ms, "sampling step of the recorded Ca2+/IP3 traces", low=1 * ms, high=10 * second),
    Parameter("engine", "astrosim", "simulator", choices=("astrosim", "brian2")),
)


def fit_exponent(rates, calcium, baseline=0.0):
    """Least-squares fit of ``calcium - baseline = A rates**alpha`` in log-log space; returns (alpha, A, r2)."""
    if len(np.atleast_1d(rates)) < 2:
        return float("nan"), float("nan"), float("nan")
    x = np.log(np.asarray(rates, dtype=float))
    y_lin = np.asarray(calcium, dtype=float) - baseline
    if np.any(y_lin <= 0):
        return float("nan"), float("nan"), float("nan")
    y = np.log(y_lin)
    alpha, log_a = np.polyfit(x, y, 1)
    residual = y - (alpha * x + log_a)
    r2 = 1 - residual.var() / y.var() if y.var() > 0 else 1.0
    return float(alpha), float(np.exp(log_a)), float(r2)


def validate(p):
    """Refuse resolved values that do not fit together (each is checked by ``resolve``); returns ``p``."""
    if p["average_from"] >= p["duration"]:
        raise ValueError(f"{NAME}: average_from ({p['average_from']}) must be before duration ({p['duration']})")
    return p


def run(overrides=None, *, seed=None, out=None, report=None):
    """Run the sweep; returns a dict with ``rates_Hz``, ``calcium_uM`` (per rate), fits and monitors."""
    p = validate(resolve(PARAMETERS, overrides or {}, NAME))
    rates = np.asarray(p["rates"] / Hz, dtype=float)
    copies = np.repeat(rates, p["repeats"])
    model = dict(neurons_per_astrocyte=p["neurons_per_astrocyte"], synapses_per_neuron=p["synapses_per_neuron"],
                 PR0=p["PR0"], glu_latch=p["glu_latch"])
    batched = p["engine"] == "astrosim"
    net = an_model.build(1 if batched else len(copies), rate=copies[0] * Hz if batched else copies * Hz, **model)
    monitor = StateMonitor(net.astrocytes, ["C", "I"], record=True, dt=p["record_dt"], name="astrocyte")
    listeners, batch_values = [], []
    if batched:
        n_in = len(net.pre)
        batch_values = [(net.pre, "rate", np.repeat(copies[:, None], n_in, axis=1) * Hz)]
        if out is not None:
            from astrosim.io import H5Recorder

            # the summary is only known after the run: it is printed and drawn; the file holds the inputs
            metadata = {**protocol_metadata(NAME, p, seed), "batch_rates_Hz": json.dumps(copies.tolist())}
            listeners = [H5Recorder(out, metadata=metadata)]
    sim = run_network(net.objects + [monitor], p["duration"], engine=p["engine"], seed=seed,
                      batch=len(copies) if batched else None, batch_values=batch_values, listeners=listeners,
                      report=report)
    if batched:
        data = sim.monitor_data(monitor)
        t = np.asarray(data["t"])
        calcium = np.asarray(data["C"])[:, :, 0] / float(umolar)  # (copies, time) in uM
        ip3 = np.asarray(data["I"])[:, :, 0] / float(umolar)
    else:
        t = np.asarray(monitor.t / second)
        calcium, ip3 = np.asarray(monitor.C / umolar), np.asarray(monitor.I / umolar)
    result = _summarise(p, rates, t, calcium, ip3)
    result.update(monitors={"astrocyte": monitor}, sim=sim)
    if out is not None and not batched:
        write_output(out, result["monitors"], protocol=NAME, params=p, summary=result["summary"], seed=seed)
    return result


def _summarise(p, rates, t, calcium, ip3):
    """Means over the averaging window and repeats, and the fitted exponents, of one parameter set."""
    window = t >= float(p["average_from"])
    per_copy = calcium[:, window].mean(axis=1)
    mean_ca = per_copy.reshape(len(rates), p["repeats"]).mean(axis=1)
    sem_ca = per_copy.reshape(len(rates), p["repeats"]).std(axis=1, ddof=1) / np.sqrt(p["repeats"]) \
        if p["repeats"] > 1 else np.zeros(len(rates))
    rest = float(li_rinzel.resting_calcium(an_model.PARAMETERS["IP3_star"],
                                           **{k: an_model.PARAMETERS[k] for k in li_rinzel.PARAMETERS}) / umolar)
    alpha_raw = fit_exponent(rates, mean_ca)
    alpha_above = fit_exponent(rates, mean_ca, baseline=rest)
    return {
        "protocol": NAME, "params": p, "rates_Hz": rates, "calcium_uM": mean_ca, "calcium_sem_uM": sem_ca,
        "ip3_uM": ip3[:, window].mean(axis=1).reshape(len(rates), p["repeats"]).mean(axis=1),
        "t": t, "calcium_traces_uM": calcium[:: p["repeats"]], "rest_uM": rest,
        "summary": {"alpha_raw": alpha_raw[0], "r2_raw": alpha_raw[2], "alpha_above_rest": alpha_above[0],
                    "r2_above_rest": alpha_above[2], "calcium_uM": mean_ca.tolist(), "rates_Hz": rates.tolist(),
                    "paper_alpha_raw": fit_exponent(PAPER_FIG3["rate_Hz"], PAPER_FIG3["Ca_uM"])[0],
                    "paper_alpha_above_rest": fit_exponent(PAPER_FIG3["rate_Hz"], PAPER_FIG3["Ca_uM"], rest)[0]},
    }


#: Parameters that may differ between the parameter sets of one batched run (``run_batch``, sweeps).
BATCH_PARAMETERS = ("rates", "PR0", "glu_latch", "average_from")


def copies(p):
    """Batch copies one parameter set takes: one per rate and repeat."""
    return len(np.atleast_1d(np.asarray(p["rates"] / Hz))) * p["repeats"]


def run_batch(param_sets, *, seed=None):
    """Run resolved parameter sets that differ only in :data:`BATCH_PARAMETERS` as one batched engine run.

    The copies of each set follow one another in order (rate-major, then repeats), so the set at
    copy offset ``k`` gets the engine's random streams ``k, k+1, ...`` of ``seed``. Returns one
    summary dict per set.
    """
    first = param_sets[0]
    for p in param_sets:
        for key, value in p.items():
            if key not in BATCH_PARAMETERS and repr(value) != repr(first[key]):
                raise ValueError(f"{NAME}: run_batch needs equal {key!r} in every set ({first[key]!r}, {value!r})")
        validate(p)
        if p["engine"] != "astrosim":
            raise ValueError(f"{NAME}: run_batch runs on the astrosim engine")
    rates = [np.atleast_1d(np.asarray(p["rates"] / Hz, dtype=float)) for p in param_sets]
    per_copy = {"rate": np.concatenate([np.repeat(r, p["repeats"]) for r, p in zip(rates, param_sets)])}
    for key in ("PR0", "glu_latch"):
        per_copy[key] = np.concatenate([np.full(len(r) * p["repeats"], float(p[key]))
                                        for r, p in zip(rates, param_sets)])
    net = an_model.build(1, rate=per_copy["rate"][0] * Hz, neurons_per_astrocyte=first["neurons_per_astrocyte"],
                         synapses_per_neuron=first["synapses_per_neuron"], PR0=first["PR0"],
                         glu_latch=first["glu_latch"])
    monitor = StateMonitor(net.astrocytes, ["C", "I"], record=True, dt=first["record_dt"], name="astrocyte")
    n_in = len(net.pre)
    batch_values = [(net.pre, "rate", np.repeat(per_copy["rate"][:, None], n_in, axis=1) * Hz)]
    for obj, key in ((net.synapses, "PR0"), (net.astrocytes, "glu_latch")):
        if np.any(per_copy[key] != per_copy[key][0]):  # equal values keep the kernel of a plain run
            batch_values.append((obj, key, per_copy[key]))
    sim = run_network(net.objects + [monitor], first["duration"], engine="astrosim", seed=seed,
                      batch=len(per_copy["rate"]), batch_values=batch_values)
    data = sim.monitor_data(monitor)
    t = np.asarray(data["t"])
    calcium = np.asarray(data["C"])[:, :, 0] / float(umolar)
    ip3 = np.asarray(data["I"])[:, :, 0] / float(umolar)
    summaries, start = [], 0
    for r, p in zip(rates, param_sets):
        stop = start + len(r) * p["repeats"]
        summaries.append(_summarise(p, r, t, calcium[start:stop], ip3[start:stop])["summary"])
        start = stop
    return summaries


def plot(result, path):
    """Ca2+ against rate (ours and the paper's read-off) and the Ca2+ traces."""
    import matplotlib.pyplot as plt

    fig, (ax, ax_t) = plt.subplots(1, 2, figsize=(11, 4.2))
    s = result["summary"]
    ax.errorbar(result["rates_Hz"], result["calcium_uM"], yerr=result["calcium_sem_uM"], fmt="o-",
                label=f"astrosim AN model (alpha={s['alpha_raw']:.2f}, above rest {s['alpha_above_rest']:.2f})")
    ax.plot(PAPER_FIG3["rate_Hz"], PAPER_FIG3["Ca_uM"], "s--", color="gray",
            label=f"paper Fig. 3 read-off (alpha={s['paper_alpha_raw']:.2f}, above rest "
                  f"{s['paper_alpha_above_rest']:.2f})")
    ax.axhline(result["rest_uM"], color="k", lw=0.5, ls=":")
    ax.set(xlabel="presynaptic rate (Hz)", ylabel="mean astrocytic Ca$^{2+}$ (µM)", title="Ca$^{2+}$ vs input rate")
    ax.legend(fontsize=7)
    for rate, trace in zip(result["rates_Hz"], result["calcium_traces_uM"]):
        ax_t.plot(result["t"], trace, lw=0.7, label=f"{rate:g} Hz")
    ax_t.axvline(float(result["params"]["average_from"] / second), color="k", ls=":", lw=0.8)
    ax_t.set(xlabel="time (s)", ylabel="Ca$^{2+}$ (µM)", title="traces (first copy); dotted: averaging start")
    ax_t.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
