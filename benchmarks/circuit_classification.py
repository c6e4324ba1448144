"""Circuit attention in a trained IMDB classifier at scale: accuracy, agreement and circuits/s per tier.

Runs the test reviews with at least ``--tokens`` real tokens (cut to that length) through one
circuit per (review, head), in chunks on the engine, for each tier; and times a few circuits one
by one with Brian2 (numpy target) at the same settings for the circuits/s ratio.

    python benchmarks/circuit_classification.py --source RUN_DIR --reviews 1000 --tokens 128 \
        --tiers rate,spiking --time-per-token 0.02 --chunk 250 --out bench-classify.json

With ``--resume DIR`` each tier's chunks are appended to ``DIR/TIER-T<T>.jsonl`` as they finish
and a rerun of the same command continues where the file ends (``--max-minutes`` stops starting
new chunks); the summary then covers the reviews run so far, with 95 % intervals:

    python benchmarks/circuit_classification.py --source RUN_DIR --reviews 1000 --tokens 128 \
        --tiers biophysical --time-per-token 0.02 --chunk 50 --resume classify-bio/ --max-minutes 40
"""
import argparse
import json
import time


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", required=True, help="training run folder of an astromorphic IMDB classifier")
    p.add_argument("--reviews", type=int, default=1000)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--tiers", default="rate,spiking")
    p.add_argument("--time-per-token", type=float, default=0.02, dest="T")
    p.add_argument("--chunk", type=int, default=250)
    p.add_argument("--one-by-one", type=int, default=2, help="circuits timed one by one with Brian2 (0: skip)")
    p.add_argument("--resume", default=None, help="folder of per-tier chunk files; a rerun continues them")
    p.add_argument("--max-minutes", type=float, default=None, help="with --resume: start no chunk after this")
    p.add_argument("--shard", default="0/1", help="with --resume: run chunks i, i+n, ... only (i/n), so n processes share the files")
    p.add_argument("--reverse", action="store_true", help="with --resume: run the chunks last first")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="bench-classify.json")
    args = p.parse_args(argv)

    import brian2
    import numpy as np
    from brian2.utils.logger import BrianLogger

    from astrosim.analysis import compare, mapping, model_source
    from astrosim.train.session import load_run
    from astrosim.train.tasks import load_task_data

    BrianLogger.suppress_name("base")
    brian2.prefs.codegen.target = "numpy"
    cfg, _, model, _ = load_run(args.source, "cpu")
    # enough test reviews to find --reviews of them with --tokens real tokens
    data, _ = load_task_data("imdb", "cpu", limit=1, limit_test=25_000, data_options=cfg.data)
    x, y = data.x["test"].cpu().numpy(), data.y["test"].cpu().numpy()
    xs, ys, idx = model_source.select_examples(x, y, args.reviews, args.tokens)
    print(f"{len(xs)} test reviews with >= {args.tokens} tokens", flush=True)
    tiers = tuple(t for t in args.tiers.split(",") if t)
    say = lambda s: print(s, flush=True)  # noqa: E731
    if args.resume:
        from pathlib import Path

        budget = None if args.max_minutes is None else 60.0 * args.max_minutes
        result = {"examples": len(xs), "tokens": args.tokens, "T": args.T, "chunk": args.chunk, "seed": args.seed,
                  "accuracy": {}, "agreement": {}, "circuits_per_s": {}, "chunks": {}}
        for tier in tiers:
            path = Path(args.resume) / f"{tier}-T{args.T:g}.jsonl"
            summary = model_source.chunked_comparison(
                model, xs, ys, path, mode=tier, T=args.T, chunk=args.chunk, seed=args.seed, max_seconds=budget,
                shard=tuple(int(x) for x in args.shard.split("/")), reverse=args.reverse,
                meta={"run": str(args.source)}, progress=say)
            result["chunks"][tier] = dict(summary, file=str(path))
            for key in ("accuracy", "agreement", "circuits_per_s"):
                result[key][tier] = summary[key]
            say(f"    {tier}: {summary['examples_run']}/{summary['examples_planned']} reviews, accuracy "
                f"{summary['accuracy']:.3f} {tuple(round(x, 3) for x in summary['accuracy_ci95'])} (algorithmic "
                f"{summary['accuracy_algorithmic_same_examples']:.3f} on the same reviews), agreement "
                f"{summary['agreement']:.3f}, {summary['circuits_per_s']:.2f} circuits/s")
    else:
        result = model_source.model_comparison(model, xs, ys, T=args.T, backend="astrosim", modes=tiers,
                                               chunk=args.chunk, progress=say, seed=args.seed)
    if args.one_by_one:
        import torch

        brian2.prefs.codegen.target = "numpy"
        cap = model_source.capture_heads(model, torch.as_tensor(xs[:1]), None)
        q, k, v, w = (cap[n] for n in ("q", "k", "v", "w_astro"))
        hd, N = q.shape[-1], q.shape[-2]
        w = None if w is None else np.broadcast_to(w[None, :, :, :N], (1,) + w.shape[:2] + (N,))
        flat = lambda a: a.reshape(-1, *a.shape[2:])  # noqa: E731
        scales = mapping.CircuitScales.calibrate(flat(q), flat(k), flat(v), None if w is None else flat(w),
                                                 cap["options"])
        result["brian2_one_by_one"] = {}
        for tier in tiers:
            dt = 1e-4 if tier == "biophysical" else 5e-4
            t0 = time.perf_counter()
            for c in range(args.one_by_one):
                sl = slice(c, c + 1)
                compare.simulate(flat(q)[sl], flat(k)[sl], flat(v)[sl], None if w is None else flat(w)[sl],
                                 options=cap["options"], T=args.T, dt=dt, mode=tier, backend="brian2", scales=scales)
            rate = args.one_by_one / (time.perf_counter() - t0)
            result["brian2_one_by_one"][tier] = {"circuits": args.one_by_one, "circuits_per_s": rate,
                                                 "speed-up": result["circuits_per_s"][tier] / rate}
            print(f"    {tier}: Brian2 one by one {rate:.4f} circuits/s; engine in chunks "
                  f"{result['circuits_per_s'][tier]:.2f} ({result['circuits_per_s'][tier] / rate:.0f}x)", flush=True)
    result.update(run=str(args.source), test_indices=idx.tolist())
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    shown = {k: v for k, v in result.items() if k != "test_indices"}
    print(json.dumps(shown, indent=1))


if __name__ == "__main__":
    main()
