"""Checks of ``astrosim train`` options, made before any data is loaded or model built."""
from ._errors import CommandError

__all__ = ["DATA_KEYS", "validate"]

#: data options each task reads (--data KEY=VALUE)
DATA_KEYS = {"imdb": ("max_len", "vocab_size", "block", "token_dropout"),
             "fashion-mnist": ("crop_pad", "flip"), "cifar10": ("crop_pad", "flip"),
             "sotu": ("seq_len", "min_count", "bpe"), "wikitext2": ("seq_len", "min_count", "bpe")}


def validate(args):
    """Refuse bad options before any data is loaded or model built (`CommandError`, one line)."""
    import os

    unknown = sorted(set(args.data) - set(DATA_KEYS[args.task]))
    if unknown:
        raise CommandError(f"--data {', '.join(unknown)}: not a data option of {args.task} "
                           f"(known: {', '.join(DATA_KEYS[args.task])})")
    for key, value in args.model.items():
        if not key or isinstance(value, str):
            raise CommandError(f"--model {key}={value}: model options take numbers (or true/false)")
    for name, value, low in (("--epochs", args.epochs, 1), ("--limit", args.limit, 1),
                             ("--limit-test", args.limit_test, 1), ("--batch-size", args.batch_size, 1)):
        if value is not None and value < low:
            raise CommandError(f"{name} must be at least {low}, got {value}")
    for name, value in (("--lr", args.lr), ("--time-budget", args.time_budget)):
        if value is not None and not value > 0:
            raise CommandError(f"{name} must be > 0, got {value:g}")
    for name, value in (("--weight-decay", args.weight_decay), ("--warmup", args.warmup),
                        ("--min-lr-ratio", args.min_lr_ratio)):
        if value is not None and not value >= 0:
            raise CommandError(f"{name} must be >= 0, got {value:g}")
    if args.warmup is not None and args.warmup >= 1:
        raise CommandError(f"--warmup is a fraction of all steps (below 1), got {args.warmup:g}")
    if args.device:
        import torch

        kind = args.device.split(":")[0]
        if kind not in ("cpu", "cuda", "mps"):
            raise CommandError(f"--device {args.device}: use cpu, cuda or cuda:N")
        if kind == "cuda" and not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else "no visible GPU"
            raise CommandError(f"--device {args.device}: CUDA is not available (torch {torch.__version__}, {build})")
        if kind == "cuda" and ":" in args.device and int(args.device.split(":")[1]) >= torch.cuda.device_count():
            raise CommandError(f"--device {args.device}: only {torch.cuda.device_count()} GPU(s) visible")
    out = args.out or f"runs/{args.task}-{args.attention}-s{args.seed}"
    if args.resume and not os.path.isfile(os.path.join(out, "checkpoint.pt")):
        raise CommandError(f"--resume: {out} holds no checkpoint.pt to continue from")
    if args.source is not None and not os.path.exists(args.source):
        raise CommandError(f"--source {args.source}: no such file or folder")
