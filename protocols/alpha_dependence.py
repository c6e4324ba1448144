"""How the fitted Fig. 3 exponent alpha depends on the unreported protocol (synapse count, duration, window).

Run ``python -m astrosim.protocols.alpha_dependence [--out table.json] [--plot fig.png]``: each
variant is one batched ``calcium_vs_frequency`` run on the astrosim engine (all rates and repeats
on the batch axis); prints one line per variant with both fits and the Ca2+ range.
"""
import argparse
import json

from brian2 import second

from . import calcium_vs_frequency

__all__ = ["VARIANTS", "study", "main"]

#: (label, overrides): synapse count first, then one change at a time (from 1 synapse or the default).
VARIANTS = (
    ("1 synapse per neuron", {"synapses_per_neuron": 1}),
    ("2 synapses per neuron", {"synapses_per_neuron": 2}),
    ("3 synapses per neuron", {"synapses_per_neuron": 3}),
    ("5 synapses per neuron", {"synapses_per_neuron": 5}),
    ("default (10 syn/neuron, 2 neurons, 100 s, avg 50-100 s)", {}),
    ("1 syn, 1 neuron per astrocyte", {"synapses_per_neuron": 1, "neurons_per_astrocyte": 1}),
    ("1 syn, average over whole run (0-100 s)", {"synapses_per_neuron": 1, "average_from": 0 * second}),
    ("1 syn, 300 s, average 150-300 s", {"synapses_per_neuron": 1, "duration": 300 * second,
                                        "average_from": 150 * second}),
    ("1 syn, 30 s, average 15-30 s", {"synapses_per_neuron": 1, "duration": 30 * second,
                                     "average_from": 15 * second}),
    ("10 syn, glutamate latched (lab code)", {"glu_latch": 1.0}),
)


def study(variants=VARIANTS, seed=1, repeats=4):
    """Run every variant; return a list of rows (label, alpha fits, Ca2+ per rate)."""
    rows = []
    for label, overrides in variants:
        result = calcium_vs_frequency.run(dict({"repeats": repeats}, **overrides), seed=seed)
        s = result["summary"]
        rows.append({"variant": label, "alpha_raw": s["alpha_raw"], "r2_raw": s["r2_raw"],
                     "alpha_above_rest": s["alpha_above_rest"], "calcium_uM": s["calcium_uM"],
                     "rates_Hz": s["rates_Hz"], "timings": getattr(result["sim"], "timings", None)})
        print(f"{label:55s} alpha={s['alpha_raw']:.3f} (R2 {s['r2_raw']:.2f})  above rest={s['alpha_above_rest']:.3f}"
              f"  Ca {s['calcium_uM'][0]:.3f}-{s['calcium_uM'][-1]:.3f} uM", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="JSON file for the table")
    parser.add_argument("--plot", help="figure with one Ca2+-rate curve per variant")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rows = study(seed=args.seed)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(rows, handle, indent=1)
    if args.plot:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        for row in rows:
            ax.plot(row["rates_Hz"], row["calcium_uM"], "o-", ms=3,
                    label=f"{row['variant']}: alpha {row['alpha_raw']:.2f}")
        ax.plot(calcium_vs_frequency.PAPER_FIG3["rate_Hz"], calcium_vs_frequency.PAPER_FIG3["Ca_uM"], "ks--",
                label="paper Fig. 3 (read-off)")
        ax.set(xlabel="presynaptic rate (Hz)", ylabel="mean Ca$^{2+}$ (µM)", yscale="log")
        ax.legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
