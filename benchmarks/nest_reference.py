"""Run NEST 3.10 to make the reference traces that tests/models/test_nest_astrocyte.py compares against.

Usage: ``python benchmarks/nest_reference.py [--out tests/fixtures/nest/astrocyte_brunel.json]
[--seeds 3]`` (needs ``pip install nest-simulator==3.10.0``, the ``nest`` extra; CI does not).
Writes one JSON file holding the NEST version, every parameter used, and:

* ``astrocyte``: one ``astrocyte_lr_1994`` (IP3_0 = 0.5 uM, in Li-Rinzel's oscillatory range) given
  IP3 jumps by a spike generator, 20 s at dt = 0.1 ms, sampled every 20 ms;
* ``astrocyte_coarse``: the same at dt = 5 ms (NEST still takes one Fehlberg step per step there,
  where ``rk4`` and ``rkf45`` differ by truncation);
* ``neuron_sic``: that astrocyte sending its SIC through ``sic_connection`` (1 ms delay) to two
  ``aeif_cond_alpha_astro`` neurons, one kept below threshold (traces), one firing (spike times);
* ``network``: statistics of NEST's ``astrocyte_brunel_bernoulli`` example at a small scale for several
  seeds, so a comparison can use NEST's own seed-to-seed spread;
* for the astrocyte, the largest deviation of NEST's trace from a DOP853 solution at rtol 1e-13
  (scipy), i.e. how close NEST itself is to the exact solution.
"""
import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

__all__ = ["ASTROCYTE_CASE", "NEURON_CASE", "NETWORK_CASE", "astrocyte_trace", "neuron_sic_traces",
           "network_statistics", "dop853_astrocyte", "main"]

#: The single-astrocyte case (NEST units: uM, ms).
ASTROCYTE_CASE = {
    "params": {"IP3_0": 0.5},  # others: NEST defaults
    "initial": {"IP3": 0.4},  # the network example's initial IP3; Ca_astro, h_IP3R: NEST defaults
    "input_times_ms": [1000.0, 1000.0, 3000.0, 7000.0],  # a spike generator (two spikes at 1 s)
    "input_weight": 500.0,  # each input raises IP3 by delta_IP3 * 500 = 0.1 uM
    "duration_ms": 20000.0,
    "record_interval_ms": 20.0,
}

#: The neuron-with-SIC case: the astrocyte above feeding two neurons.
NEURON_CASE = {
    "neurons": [{"I_e": 500.0, "sic_weight": 10.0},  # stays below the rheobase (about 627 pA)
                {"I_e": 550.0, "sic_weight": 40.0}],  # fires while the astrocyte's Ca2+ is high
    "sic_delay_ms": 1.0,
}

#: The network case (see astrosim/testing/networks/nest_astro_brunel.py).
NETWORK_CASE = {"scale": 0.05, "duration_ms": 1000.0, "dt_ms": 0.1, "threads": 1}


def _nest():
    import nest

    try:
        nest.set_verbosity("M_ERROR")
    except Exception:  # noqa: BLE001 - newer NEST spells it differently; only cosmetics
        pass
    return nest


def _astrocyte(nest, dt):
    """Create the case's astrocyte and its spike input in a fresh kernel at resolution ``dt``."""
    nest.ResetKernel()
    nest.resolution = dt
    astro = nest.Create("astrocyte_lr_1994", params=dict(ASTROCYTE_CASE["params"], **ASTROCYTE_CASE["initial"]))
    gen = nest.Create("spike_generator", params={"spike_times": ASTROCYTE_CASE["input_times_ms"]})
    nest.Connect(gen, astro, syn_spec={"weight": ASTROCYTE_CASE["input_weight"], "delay": dt})
    return astro


def astrocyte_trace(dt=0.1):
    """NEST trace of the single astrocyte at resolution ``dt`` (ms)."""
    nest = _nest()
    astro = _astrocyte(nest, dt)
    mm = nest.Create("multimeter", params={"record_from": ["IP3", "Ca_astro", "h_IP3R"],
                                           "interval": ASTROCYTE_CASE["record_interval_ms"]})
    nest.Connect(mm, astro)
    nest.Simulate(ASTROCYTE_CASE["duration_ms"])
    ev = mm.events
    out = {"dt_ms": dt, "times_ms": ev["times"].tolist()}
    out.update({k: np.asarray(ev[k]).tolist() for k in ("IP3", "Ca_astro", "h_IP3R")})
    out["defaults"] = {k: v for k, v in astro.get().items() if isinstance(v, float)}
    return out


def neuron_sic_traces(dt=0.1):
    """NEST traces of the astrocyte -> two neurons case."""
    nest = _nest()
    astro = _astrocyte(nest, dt)
    cells = NEURON_CASE["neurons"]
    neurons = nest.Create("aeif_cond_alpha_astro", len(cells))
    for node, cell in zip(neurons, cells):
        node.set({"I_e": cell["I_e"]})
        nest.Connect(astro, node, syn_spec={"synapse_model": "sic_connection", "weight": cell["sic_weight"],
                                            "delay": NEURON_CASE["sic_delay_ms"]})
    mm = nest.Create("multimeter", params={"record_from": ["V_m", "w", "I_SIC"],
                                           "interval": ASTROCYTE_CASE["record_interval_ms"]})
    nest.Connect(mm, neurons[0])
    spikes = nest.Create("spike_recorder")
    nest.Connect(neurons, spikes)
    nest.Simulate(ASTROCYTE_CASE["duration_ms"])
    ev, sp = mm.events, spikes.events
    first = neurons[0].global_id
    out = {"dt_ms": dt, "times_ms": ev["times"].tolist()}
    out.update({k: np.asarray(ev[k]).tolist() for k in ("V_m", "w", "I_SIC")})
    out["spike_times_ms"] = [np.sort(sp["times"][sp["senders"] == first + k]).tolist() for k in range(len(cells))]
    out["neuron_defaults"] = {k: v for k, v in neurons[0].get().items() if isinstance(v, float)}
    return out


def network_statistics(seed):
    """Statistics of the NEST example at the network case's scale for one seed (and its wall time)."""
    from astrosim.testing.networks.nest_astro_brunel import build_nest_network, nest_statistics

    nest = _nest()
    nest.ResetKernel()
    nest.resolution = NETWORK_CASE["dt_ms"]
    net = build_nest_network(nest, NETWORK_CASE["scale"], seed=seed, threads=NETWORK_CASE["threads"])
    t0 = time.perf_counter()
    nest.Simulate(NETWORK_CASE["duration_ms"])
    stats = nest_statistics(nest, net, NETWORK_CASE["duration_ms"] / 1000)
    stats.update(seed=seed, connections=int(nest.num_connections), sim_seconds=time.perf_counter() - t0)
    return stats


def dop853_astrocyte(times_ms, dt):
    """The astrocyte case solved by scipy's DOP853 (rtol 1e-13), IP3 jumps applied where NEST applies them.

    NEST adds an input arriving with delay ``dt`` after the step that ends at spike time + dt.
    Returns ``{var: array at times_ms}`` in uM.
    """
    from scipy.integrate import solve_ivp

    p = dict(_astrocyte_defaults(), **ASTROCYTE_CASE["params"])

    def rhs(_, y):
        ip3, ca, h = y
        ca = min(max(ca, 0.0), p["Ca_tot"])
        m_inf, n_inf = ip3 / (ip3 + p["Kd_IP3_1"]), ca / (ca + p["Kd_act"])
        ca_er = (p["Ca_tot"] - ca) / p["ratio_ER_cyt"]
        j_leak = p["ratio_ER_cyt"] * p["rate_L"] * (ca_er - ca)
        j_chan = p["ratio_ER_cyt"] * p["rate_IP3R"] * (m_inf * n_inf * h) ** 3 * (ca_er - ca)
        j_pump = p["rate_SERCA"] * ca**2 / (p["Km_SERCA"]**2 + ca**2)
        alpha = p["k_IP3R"] * p["Kd_inh"] * (ip3 + p["Kd_IP3_1"]) / (ip3 + p["Kd_IP3_2"])
        return [(p["IP3_0"] - ip3) / p["tau_IP3"], j_chan - j_pump + j_leak, alpha * (1 - h) - p["k_IP3R"] * ca * h]

    jumps = {}
    for t in ASTROCYTE_CASE["input_times_ms"]:
        at = round(t / dt) * dt + dt
        jumps[at] = jumps.get(at, 0.0) + p["delta_IP3"] * ASTROCYTE_CASE["input_weight"]
    y = np.array([ASTROCYTE_CASE["initial"]["IP3"], 0.073, 0.793])
    times_ms = np.asarray(times_ms)
    out = np.empty((3, times_ms.size))
    edges = [0.0] + sorted(jumps) + [float(times_ms[-1])]
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        # NEST logs a step's state after adding that step's input: samples at a jump time see it
        inside = (times_ms >= a) & ((times_ms < b) if k < len(edges) - 2 else (times_ms <= b))
        if b > a:
            sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-13, atol=1e-16, dense_output=True)
            out[:, inside] = sol.sol(times_ms[inside])
            y = sol.y[:, -1].copy()
        if b in jumps:
            y[0] += jumps[b]
    return dict(zip(("IP3", "Ca_astro", "h_IP3R"), out))


def _astrocyte_defaults():
    from astrosim.models.astrocytes import lr_1994_nest
    from brian2 import ms, umolar

    unit = {"Ca_tot": umolar, "IP3_0": umolar, "Kd_IP3_1": umolar, "Kd_IP3_2": umolar, "Kd_act": umolar,
            "Kd_inh": umolar, "Km_SERCA": umolar, "SIC_th": umolar, "delta_IP3": umolar,
            "k_IP3R": 1 / (umolar * ms), "rate_IP3R": 1 / ms, "rate_L": 1 / ms, "rate_SERCA": umolar / ms,
            "tau_IP3": ms}
    return {k: float(v / unit[k]) if k in unit else float(v) for k, v in lr_1994_nest.PARAMETERS.items()}


def _max_rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def main(argv=None):
    """Command-line entry point; returns an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(_ROOT / "tests" / "fixtures" / "nest" / "astrocyte_brunel.json"))
    parser.add_argument("--seeds", type=int, default=3, help="network seeds (default 3)")
    args = parser.parse_args(argv)
    nest = _nest()
    data = {"nest_version": nest.__version__, "generated_by": "benchmarks/nest_reference.py",
            "generated_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "units": "NEST's: ms, uM, mV, pA, nS", "astrocyte_case": ASTROCYTE_CASE,
            "neuron_case": NEURON_CASE, "network_case": NETWORK_CASE}
    print("astrocyte, dt 0.1 ms ...", file=sys.stderr, flush=True)
    data["astrocyte"] = astrocyte_trace(0.1)
    print("astrocyte, dt 5 ms ...", file=sys.stderr, flush=True)
    data["astrocyte_coarse"] = astrocyte_trace(5.0)
    for key in ("astrocyte", "astrocyte_coarse"):
        ref = dop853_astrocyte(data[key]["times_ms"], data[key]["dt_ms"])
        data[key]["nest_vs_dop853_max_rel"] = {v: _max_rel(data[key][v], ref[v]) for v in ref}
        print(f"{key}: NEST vs DOP853 max relative deviation {data[key]['nest_vs_dop853_max_rel']}",
              file=sys.stderr)
    print("astrocyte -> neurons ...", file=sys.stderr, flush=True)
    data["neuron_sic"] = neuron_sic_traces(0.1)
    from astrosim.testing.networks.nest_astro_brunel import PARAMETERS

    data["network_parameters"] = {k: (str(v) if hasattr(v, "dim") else v) for k, v in PARAMETERS.items()}
    data["network"] = []
    for seed in range(1, args.seeds + 1):
        print(f"network, scale {NETWORK_CASE['scale']}, seed {seed} ...", file=sys.stderr, flush=True)
        data["network"].append(network_statistics(seed))
        print(f"  {data['network'][-1]}", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
