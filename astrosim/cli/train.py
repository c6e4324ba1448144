"""``astrosim train``: train a task model with one attention kind."""
NAME = "train"
HELP = "train a Transformer (imdb, fashion-mnist, cifar10, sotu, wikitext2) with one attention kind"

TASKS = ("imdb", "fashion-mnist", "cifar10", "sotu", "wikitext2")
KINDS = ("astromorphic", "kozachkov", "linear", "softmax")


def _pairs(text):
    out = {}
    for item in filter(None, (text or "").split(",")):
        key, _, value = item.partition("=")
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                pass
        if value in ("true", "false"):
            value = value == "true"
        out[key.strip()] = value
    return out


def add_arguments(parser):
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--download", action="store_true",
                        help="fetch missing data (as 'astrosim data fetch TASK'); without it nothing is downloaded")
    parser.add_argument("--attention", required=True, choices=KINDS)
    parser.add_argument("--preset", choices=("paper",), help="the paper's attention options and Table S1-S3 settings")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--warmup", type=float, help="warm-up as a fraction of all steps")
    parser.add_argument("--min-lr-ratio", type=float, help="cosine floor as a fraction of --lr (1 = constant)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda if present)")
    parser.add_argument("--no-amp", action="store_true", help="no bf16 autocast on GPU")
    parser.add_argument("--limit", type=int, help="training examples (LM: training windows) after shuffling")
    parser.add_argument("--limit-test", type=int, help="test examples (default: --limit)")
    parser.add_argument("--model", type=_pairs, default={}, metavar="K=V,...", help="model config overrides")
    parser.add_argument("--data", type=_pairs, default={}, metavar="K=V,...", help="data options (max_len, seq_len ...)")
    parser.add_argument("--source", help="local data files instead of the cache (see docs/training.md)")
    parser.add_argument("--time-budget", type=float, help="stop before an epoch that would end after SEC seconds")
    parser.add_argument("--out", help="run folder (default runs/TASK-KIND-sSEED)")
    parser.add_argument("--resume", action="store_true", help="continue from the run folder's checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--nproc", type=int, help="train on N processes with DDP (runs torchrun; --batch-size is global)")


def run(args):
    from astrosim.train import distributed  # --- several processes (DDP, docs/training.md) ---
    if args.nproc and args.nproc > 1 and "WORLD_SIZE" not in __import__("os").environ:
        return distributed.launch(args.nproc, distributed.train_argv())
    args.device = distributed.setup_from_env(args.device)  # --- end DDP ---
    try:
        code = _train(args)
    except BaseException:
        distributed.teardown()
        raise
    distributed.teardown(wait=True)  # a no-op in one process
    return code


def _train(args):
    from astrosim.train.session import make_config, run_training

    out = args.out or f"runs/{args.task}-{args.attention}-s{args.seed}"
    from astrosim.data.store import downloads  # --- refusals before any work; no download unless asked ---
    from ._train_checks import validate

    validate(args)
    cfg = make_config(args.task, args.attention, out, preset=args.preset, model=args.model, data=args.data,
                      epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
                      weight_decay=args.weight_decay, warmup=args.warmup, min_lr_ratio=args.min_lr_ratio, device=args.device,
                      amp=not args.no_amp, limit=args.limit, limit_test=args.limit_test,
                      time_budget=args.time_budget, resume=args.resume, progress=not args.quiet)
    with downloads(args.download, hint=f"astrosim data fetch {args.task}"):
        summary = run_training(cfg, source=args.source)
    final = summary["final"] or {}
    print(f"{out}: {summary['status']} after {summary['epochs_done']} epoch(s); "
          + ", ".join(f"{k} {final[k]:.4g}" for k in ("test_acc", "test_ppl", "examples_per_s") if k in final))
    return 3 if summary["status"] == "diverged" else 0


if __name__ == "__main__":  # ``python -m astrosim.cli.train`` avoids importing the other commands
    import argparse

    _parser = argparse.ArgumentParser(prog="astrosim train", description=HELP)
    add_arguments(_parser)
    raise SystemExit(run(_parser.parse_args()))
