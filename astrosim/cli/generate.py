"""``astrosim generate``: continue a text with a trained causal LM, its attention computed by circuits."""
NAME = "generate"
HELP = "continue a text token by token with a trained language model, attention by algorithm or by circuit"

TIERS = ("algorithmic", "rate", "spiking", "biophysical")


def add_arguments(parser):
    parser.add_argument("--source", required=True, help="training run folder of a causal LM (sotu or wikitext2)")
    parser.add_argument("--prompt", required=True, help="text to continue")
    parser.add_argument("--tokens", type=int, default=20, help="tokens to generate (default 20)")
    parser.add_argument("--attention", choices=TIERS, default="algorithmic",
                        help="the model's own attention, or circuits of a tier in its place")
    parser.add_argument("--time-per-token", type=float, default=0.05, dest="T",
                        help="circuit presentation time per token and per query, s (default 0.05)")
    parser.add_argument("--dt", type=float, default=None,
                        help="circuit integration step, s (default 0.5 ms; 0.1 ms for biophysical)")
    parser.add_argument("--backend", choices=("astrosim", "brian2"), default="astrosim")
    parser.add_argument("--brian2-target", default="numpy", help="Brian2 code-generation target (default numpy)")
    parser.add_argument("--temperature", type=float, default=0.0, help="0: greedy (default); > 0: sampling")
    parser.add_argument("--calibration-windows", type=int, default=8,
                        help="training windows the circuit gains are calibrated on before generating (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write prompt, continuation and settings to this JSON file")


def run(args):
    import json
    import sys
    import time
    from pathlib import Path

    import brian2
    from brian2.utils.logger import BrianLogger

    from astrosim.analysis import lm_source
    from astrosim.data.text import tokenize_words

    brian2.prefs.codegen.target = args.brian2_target  # what the engine leaves to Brian2 (and --backend brian2)
    BrianLogger.suppress_name("base")
    if args.tokens < 1:
        print("generate: --tokens must be at least 1", file=sys.stderr)
        return 2
    if not (Path(args.source) / "config.json").exists():
        print(f"generate: {args.source} is not a training run folder (no config.json)", file=sys.stderr)
        return 2
    try:
        cfg, data, model, vocab = lm_source.load_lm(args.source)
    except ValueError as err:
        print(f"generate: {err}", file=sys.stderr)
        return 2
    words = tokenize_words(args.prompt)
    ids = vocab.encode(words)
    if not ids:
        print("generate: the prompt has no words", file=sys.stderr)
        return 2
    circuit = {}
    if args.attention != "algorithmic":
        dt = args.dt or (1e-4 if args.attention == "biophysical" else 5e-4)
        n = min(model.config.max_len, data.seq_len)
        stream = data.stream["train"].cpu().numpy()
        windows = stream[: args.calibration_windows * n].reshape(-1, n)
        circuit = dict(T=args.T, dt=dt, backend=args.backend,
                       scales=lm_source.calibrate_scales(model, windows))
    t0 = time.perf_counter()
    progress = lambda i, n: print(f"\r  token {i}/{n}", end="", file=sys.stderr, flush=True)  # noqa: E731
    new = lm_source.generate(model, ids, args.tokens, args.attention, temperature=args.temperature, seed=args.seed,
                             progress=progress, **circuit)
    print(file=sys.stderr)
    seconds = time.perf_counter() - t0
    prompt_text = " ".join(vocab.decode(ids))
    text = " ".join(vocab.decode(new))
    print(f"[{args.attention}] {prompt_text} || {text}")
    print(f"({args.tokens} tokens in {seconds:.1f} s)", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps({
            "source": str(args.source), "attention": args.attention, "prompt": args.prompt,
            "prompt_tokens": vocab.decode(ids), "continuation": vocab.decode(new), "ids": new,
            "T": args.T if circuit else None, "dt": circuit.get("dt"), "temperature": args.temperature,
            "seed": args.seed, "seconds": seconds}, indent=1))
    return 0
