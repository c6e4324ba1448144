"""Figure: astrosim's NEST transcriptions against the stored NEST 3.10 traces (no NEST needed).

Usage: ``python benchmarks/nest_plot.py [--out docs/figures/nest_astrocyte.png]``. Runs the fixture's
cases with astrosim (the single astrocyte with ``rkf45`` and ``rk4`` at 0.1 ms and 5 ms; the astrocyte
feeding two neurons) and draws the traces over NEST's and the relative deviations over time.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

__all__ = ["main", "run_astrocyte", "run_neurons"]

FIXTURE = _ROOT / "tests" / "fixtures" / "nest" / "astrocyte_brunel.json"


def _astrocyte_objects(case, dt_ms, method, sic_delay=None):
    import brian2 as b2
    from brian2 import ms, umolar

    from astrosim.models.astrocytes import lr_1994_nest

    b2.defaultclock.dt = dt_ms * ms
    astro = lr_1994_nest.build(1, method=method, sic_delay=sic_delay,
                               **{k: v * umolar for k, v in case["params"].items()})
    astro.IP3 = case["initial"]["IP3"] * umolar
    times = np.asarray(case["input_times_ms"]) * ms - dt_ms * ms  # NEST stamps at the step's end
    gen = b2.SpikeGeneratorGroup(len(times), np.arange(len(times)), times)
    statement, namespace = lr_1994_nest.spike_input(case["input_weight"])
    syn = b2.Synapses(gen, astro, on_pre=statement, namespace=namespace, delay=dt_ms * ms)
    syn.connect()
    mon = b2.StateMonitor(astro, "Ca_astro", record=0, dt=case["record_interval_ms"] * ms)
    return [astro, gen, syn, mon], mon


def run_astrocyte(data, key, method):
    """Ca2+ (uM) of the single astrocyte at the fixture's sample times, run by astrosim."""
    import brian2 as b2
    from brian2 import ms, umolar

    import astrosim

    b2.start_scope()
    case, ref = data["astrocyte_case"], data[key]
    objects, mon = _astrocyte_objects(case, ref["dt_ms"], method)
    astrosim.Simulator(b2.Network(*objects)).run(case["duration_ms"] * ms + ref["dt_ms"] * ms)
    idx = np.rint(np.asarray(ref["times_ms"]) / case["record_interval_ms"]).astype(int)
    return np.asarray(mon.Ca_astro[0] / umolar)[idx]


def run_neurons(data):
    """V_m (mV) of the quiet neuron at the sample times and the firing neuron's spike times (NEST stamps)."""
    import brian2 as b2
    from brian2 import ms, mV, pA

    import astrosim
    from astrosim.models.integrators import rkf45
    from astrosim.models.neurons import aeif_cond_alpha_astro
    from astrosim.models.synapses import sic_connection

    b2.start_scope()
    case, ncase, ref = data["astrocyte_case"], data["neuron_case"], data["neuron_sic"]
    objects, _ = _astrocyte_objects(case, ref["dt_ms"], rkf45, sic_delay=ncase["sic_delay_ms"] * ms)
    quiet = aeif_cond_alpha_astro.build(1, method=rkf45, I_e=ncase["neurons"][0]["I_e"] * pA)
    firing = aeif_cond_alpha_astro.build(1, I_e=ncase["neurons"][1]["I_e"] * pA)
    for cell, group in zip(ncase["neurons"], (quiet, firing)):
        link = sic_connection.build(objects[0], group)
        link.connect()
        link.weight = cell["sic_weight"] * pA
        objects.append(link)
    trace = b2.StateMonitor(quiet, "V_m", record=0, dt=case["record_interval_ms"] * ms)
    spikes = b2.SpikeMonitor(firing)
    astrosim.Simulator(b2.Network(*objects, quiet, firing, trace, spikes)).run(
        case["duration_ms"] * ms + ref["dt_ms"] * ms)
    idx = np.rint(np.asarray(ref["times_ms"]) / case["record_interval_ms"]).astype(int)
    return np.asarray(trace.V_m[0] / mV)[idx], np.asarray(spikes.t / ms) + ref["dt_ms"]


def main(argv=None):
    """Command-line entry point; returns an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(_ROOT / "docs" / "figures" / "nest_astrocyte.png"))
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from astrosim.models.integrators import rkf45

    data = json.loads(FIXTURE.read_text())
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    ref = data["astrocyte"]
    t_s = np.asarray(ref["times_ms"]) / 1000
    ours = run_astrocyte(data, "astrocyte", rkf45)
    ax = axes[0, 0]
    ax.plot(t_s, ref["Ca_astro"], color="0.6", lw=4, label="NEST 3.10")
    ax.plot(t_s, ours, color="tab:green", lw=1.2, label="astrosim (rkf45)")
    ax.set(xlabel="time (s)", ylabel="Ca$^{2+}$ (µM)", title="astrocyte_lr_1994, dt = 0.1 ms")
    ax.legend(frameon=False)
    ax = axes[0, 1]
    for key, style in (("astrocyte", "-"), ("astrocyte_coarse", "--")):
        nest = np.asarray(data[key]["Ca_astro"])
        tk = np.asarray(data[key]["times_ms"]) / 1000
        for method, name, colour in ((rkf45, "rkf45", "tab:green"), ("rk4", "rk4", "tab:orange")):
            dev = np.abs(run_astrocyte(data, key, method) - nest) / nest
            ax.semilogy(tk, np.maximum(dev, 1e-17), style, color=colour, lw=0.8,
                        label=f"{name}, dt = {data[key]['dt_ms']:g} ms")
    ax.set(xlabel="time (s)", ylabel="|astrosim − NEST| / NEST (Ca$^{2+}$)", ylim=(1e-17, 1e-9),
           title="relative deviation from NEST")
    ax.legend(frameon=False, fontsize=8, ncol=2)
    nref = data["neuron_sic"]
    v, spikes = run_neurons(data)
    ax = axes[1, 0]
    ax.plot(t_s, nref["V_m"], color="0.6", lw=4, label="NEST")
    ax.plot(t_s, v, color="tab:purple", lw=1.2, label="astrosim (rkf45)")
    twin = ax.twinx()
    twin.plot(t_s, nref["I_SIC"], color="tab:red", lw=0.8, alpha=0.6)
    twin.set_ylabel("I$_{SIC}$ (pA, NEST)", color="tab:red")
    ax.set(xlabel="time (s)", ylabel="V$_m$ (mV)", title="aeif_cond_alpha_astro below threshold, SIC input")
    ax.legend(frameon=False, loc="center")
    ax = axes[1, 1]
    nest_spikes = np.asarray(nref["spike_times_ms"][1]) / 1000
    ax.eventplot([nest_spikes, spikes / 1000], lineoffsets=[1, 0], colors=["0.4", "tab:purple"], linelengths=0.8)
    ax.set(yticks=[0, 1], yticklabels=[f"astrosim (rk4)\n{len(spikes)} spikes", f"NEST\n{len(nest_spikes)} spikes"],
           xlabel="time (s)", title="firing neuron: spike times")
    fig.suptitle(f"NEST {data['nest_version']} models transcribed to Brian2, run by astrosim", fontsize=11)
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
