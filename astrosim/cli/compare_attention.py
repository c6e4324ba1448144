"""``astrosim compare-attention``: the neuron-astrocyte circuit read out as attention, against the algorithms."""
NAME = "compare-attention"
HELP = "simulate write/read neuron-astrocyte circuits and compare their output with algorithmic attention"


def _floats(text):
    return tuple(float(x) for x in text.split(",") if x)


def _ints(text):
    return tuple(int(x) for x in text.split(",") if x)


def add_arguments(parser):
    parser.add_argument("--tokens", type=int, default=8, help="tokens N per sequence (default 8)")
    parser.add_argument("--dim", type=int, default=4, help="value width d = output cells per circuit (default 4)")
    parser.add_argument("--hidden", type=int, default=4, help="key width m = hidden cells per circuit (default 4)")
    parser.add_argument("--time-per-token", type=float, default=0.1, dest="T",
                        help="presentation time T per token and per query, s (default 0.1)")
    parser.add_argument("--batch", type=int, default=16, help="circuits simulated at once (default 16)")
    parser.add_argument("--times", type=_floats, default=(0.02, 0.05, 0.1, 0.2, 0.4),
                        help="T values of the time sweep, comma-separated")
    parser.add_argument("--hiddens", type=_ints, default=(2, 4, 8, 16), help="m values of the width sweep")
    parser.add_argument("--dt", type=float, default=5e-4, help="integration step, s (default 0.5 ms)")
    parser.add_argument("--source", default="random",
                        help="'random', or a training run folder of an astromorphic IMDB classifier or causal LM (MODEL)")
    parser.add_argument("--examples", type=int, default=16, help="test reviews for --source MODEL")
    parser.add_argument("--model-tokens", type=int, default=None,
                        help="tokens kept per review for --source MODEL (default: --tokens)")
    parser.add_argument("--backend", choices=("astrosim", "brian2"), default="astrosim",
                        help="astrosim's compiled engine (default) or Brian2's runtime")
    parser.add_argument("--brian2-target", default="numpy", help="Brian2 code-generation target (default numpy)")
    parser.add_argument("--trials", type=int, default=4,
                        help="noise trials per T in the time sweep, run on the engine's batch axis (astrosim only)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", action="store_true",
                        help="only time circuits/s: one by one in Brian2 against one batched run")
    parser.add_argument("--departure", action="store_true",
                        help="only the biophysical tier's error stage by stage against --times (default 0.05,0.2,0.8)")
    parser.add_argument("--model-only", action="store_true",
                        help="with --source MODEL: only the model substitution (no random sweeps)")
    parser.add_argument("--tiers", type=lambda t: tuple(x for x in t.split(",") if x), default=("rate", "spiking"),
                        help="circuit tiers for a model --source (rate,spiking,biophysical; default rate,spiking)")
    parser.add_argument("--chunk", type=int, default=None,
                        help="with a classifier --source: reviews per engine run (bounds memory; default all)")
    parser.add_argument("--out", default="report", help="output folder (default report/)")


def run(args):
    import json
    from pathlib import Path

    import brian2
    from brian2.utils.logger import BrianLogger

    brian2.prefs.codegen.target = args.brian2_target
    BrianLogger.suppress_name("base")  # one-to-one copy statements trigger Brian2's order warning
    from astrosim.analysis import bench, report

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.bench:
        result = bench.bench_circuits(args.batch, args.tokens, args.hidden, args.dim, T=args.T, dt=args.dt,
                                      seed=args.seed, trials=args.trials)
        (out / "bench.json").write_text(json.dumps(result, indent=1))
        for how, ratio in result["ratios"].items():
            print(f"{how}: {ratio:.1f}x the circuits/s of one-by-one Brian2")
        return 0
    if args.departure:
        times = args.times if args.times != (0.02, 0.05, 0.1, 0.2, 0.4) else (0.05, 0.2, 0.8)
        rows = report.departure_report(out, tokens=args.tokens, hidden=args.hidden, dim=args.dim, batch=args.batch,
                                       times=times, backend=args.backend, seed=args.seed, progress=print)
        print(f"departure.json and departure.png in {out}/ ({len(rows)} time points)")
        return 0
    if args.source != "random" and report.is_lm_run(args.source):
        bad = [t for t in args.tiers if t not in ("rate", "spiking", "biophysical")]
        if bad:
            print(f"compare-attention: unknown tier(s) {bad}; choose from rate, spiking, biophysical")
            return 2
        result = report.lm_report(out, args.source, examples=args.examples, tokens=args.model_tokens or 32,
                                  T=args.T, dt=args.dt, backend=args.backend, seed=args.seed, tiers=args.tiers,
                                  progress=print)
        print((out / "lm.md").read_text())
        return 0
    if args.model_only:
        if args.source == "random":
            print("compare-attention: --model-only needs --source RUN_DIR (a trained astromorphic model)")
            return 2
        result = report.model_report(out, args.source, examples=args.examples,
                                     tokens=args.model_tokens or args.tokens, T=args.T, dt=args.dt,
                                     backend=args.backend, seed=args.seed, modes=args.tiers, chunk=args.chunk,
                                     progress=print)
        shown = {k: v for k, v in result.items() if k != "test_indices"}
        print(json.dumps(shown, indent=1))
        return 0
    report.compare_report(out, tokens=args.tokens, hidden=args.hidden, dim=args.dim, batch=args.batch,
                                T=args.T, times=args.times, hiddens=args.hiddens, dt=args.dt,
                                backend=args.backend, seed=args.seed, source=args.source, examples=args.examples,
                                model_tokens=args.model_tokens, trials=args.trials)
    print((out / "report.md").read_text())
    print(f"figures and report.json in {out}/")
    return 0
