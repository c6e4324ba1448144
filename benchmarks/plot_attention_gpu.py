"""Plot the speed table written by benchmarks/attention_gpu.py (--out JSON): ms per forward+backward against N.

Usage: python benchmarks/plot_attention_gpu.py RESULTS.json OUT.png
"""
import json
import sys

import matplotlib.pyplot as plt

LINES = [("sdpa_causal", "SDPA flash, causal", "C3", "-"), ("sdpa_full", "SDPA flash, non-causal", "C3", "--"),
         ("kernel_causal", "Triton sigma store, causal", "C0", "-"),
         ("kernel_full", "Triton sigma store, non-causal", "C0", "--"),
         ("astro_causal", "astromorphic layer (Triton path), causal", "C2", "-"),
         ("astro_full", "astromorphic layer (Triton path), non-causal", "C2", "--"),
         ("torch_causal", "astromorphic layer (PyTorch path), causal", "C7", "-")]


def main(src, dst):
    res = json.load(open(src))
    rows = res["speed"]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for key, label, color, style in LINES:
        pts = [(r["N"], r[key]) for r in rows if r.get(key) is not None]
        if pts:
            ax.plot(*zip(*pts), style, color=color, marker="o", ms=4, label=label)
    ax.axhline(1.0, color="k", lw=0.8, ls=":", label="target 1 ms")
    ax.set(xscale="log", yscale="log", xlabel="sequence length N (B = 1, 8 heads x 64, bf16)",
           ylabel="forward + backward (ms, median)", title=f"{res['device']}: attention forward + backward")
    ax.set_xticks([r["N"] for r in rows], [str(r["N"]) for r in rows])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(dst, dpi=130, bbox_inches="tight")


if __name__ == "__main__":
    main(*sys.argv[1:3])
