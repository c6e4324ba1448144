"""Circuit attention in a causal LM on many test windows, a few windows per engine run, resumable.

Same windows, calibration and scores as ``astrosim compare-attention --source LM_RUN`` (the first
``--windows`` non-overlapping windows of the test stream; gains calibrated on 8 training
windows), but the windows run ``--chunk`` at a time and each chunk's summed NLL and predictions
are appended to ``--out`` (JSON lines) as it finishes; a rerun continues the file.

    python benchmarks/circuit_lm.py --source lm-astro-causal --windows 16 --tokens 32 \
        --tier biophysical --time-per-token 0.05 --chunk 4 --out lm-bio.jsonl
"""
import argparse
import json
import math
import time
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", required=True, help="training run folder of a causal astromorphic LM")
    p.add_argument("--windows", type=int, default=16)
    p.add_argument("--tokens", type=int, default=32)
    p.add_argument("--tier", default="biophysical", choices=("rate", "spiking", "biophysical"))
    p.add_argument("--time-per-token", type=float, default=0.05, dest="T")
    p.add_argument("--chunk", type=int, default=4, help="windows per engine run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="JSON-lines file of per-chunk results (continued on rerun)")
    args = p.parse_args(argv)

    import numpy as np
    from brian2.utils.logger import BrianLogger

    from astrosim.analysis import lm_source

    BrianLogger.suppress_name("base")
    _, data, model, _ = lm_source.load_lm(args.source)
    n = min(args.tokens, model.config.max_len)
    test = data.stream["test"].cpu().numpy()
    inputs = test[: args.windows * n].reshape(args.windows, n)
    targets = test[1: args.windows * n + 1].reshape(args.windows, n)
    train = data.stream["train"].cpu().numpy()
    scales = lm_source.calibrate_scales(model, train[: 8 * n].reshape(-1, n))
    dt = 1e-4 if args.tier == "biophysical" else 5e-4
    header = {"kind": "header", "source": str(args.source), "windows": args.windows, "tokens": n, "tier": args.tier,
              "T": args.T, "dt": dt, "chunk": args.chunk, "seed": args.seed}
    out = Path(args.out)
    if out.exists():
        lines = [json.loads(x) for x in out.read_text().splitlines() if x.strip()]
        if not lines or any(lines[0].get(k) != v for k, v in header.items()):
            raise SystemExit(f"circuit_lm: {out} holds another run; use another --out")
        done = {r["start"] for r in lines[1:]}
    else:
        out.write_text(json.dumps(header) + "\n")
        done = set()
    for start in range(0, args.windows, args.chunk):
        if start in done:
            continue
        sl = slice(start, min(start + args.chunk, args.windows))
        t0 = time.perf_counter()
        algo = lm_source.window_scores(model, inputs[sl], targets[sl])
        circ = lm_source.window_scores(model, inputs[sl], targets[sl], args.tier, scales=scales, T=args.T, dt=dt,
                                       backend="astrosim", seed=args.seed)
        rec = {"start": sl.start, "stop": sl.stop, "nll_algorithmic": algo["nll"], "nll": circ["nll"],
               "tokens": circ["tokens"], "same": int((circ["pred"] == algo["pred"]).sum()),
               "circuits": circ.get("circuits"), "wall_s": time.perf_counter() - t0}
        with open(out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(f"windows {sl.start}-{sl.stop - 1}: agreement {rec['same'] / rec['tokens']:.3f}, {rec['wall_s']:.0f} s",
              flush=True)
    recs = [json.loads(x) for x in out.read_text().splitlines()[1:] if x.strip()]
    tokens = sum(r["tokens"] for r in recs)
    summary = {"windows_run": sum(r["stop"] - r["start"] for r in recs), "predictions": tokens,
               "perplexity_algorithmic": math.exp(sum(r["nll_algorithmic"] for r in recs) / tokens),
               "perplexity": math.exp(sum(r["nll"] for r in recs) / tokens),
               "agreement": sum(r["same"] for r in recs) / tokens,
               "circuits": sum(r["circuits"] or 0 for r in recs), "wall_s": sum(r["wall_s"] for r in recs)}
    print(json.dumps(dict(header, **summary), indent=1))
    return 0 if np.isfinite(summary["perplexity"]) else 1


if __name__ == "__main__":
    main()
