"""``astrosim evaluate``: test metrics of a run folder's last checkpoint."""
NAME = "evaluate"
HELP = "evaluate a training run folder's checkpoint on its test split"


def add_arguments(parser):
    parser.add_argument("run_dir", nargs="+")
    parser.add_argument("--device")


def run(args):
    from astrosim.train.session import evaluate_run

    for folder in args.run_dir:
        r = evaluate_run(folder, args.device)
        extra = f" ppl {r['ppl']:.3f}" if "ppl" in r else ""
        print(f"{folder}: epoch {r['epoch']} test loss {r['loss']:.4f} acc {r['acc']:.4f}{extra}")
    return 0
