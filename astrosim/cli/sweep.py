"""``astrosim sweep PROTOCOL --grid k=v1,v2 --grid k=a:b:step --set k=v --out DIR``: a protocol over a grid on Dask."""
import sys

NAME = "sweep"
HELP = "run a protocol over a parameter grid on Dask (local cluster or --scheduler); results in a sweep folder"


def add_arguments(parser):
    parser.add_argument("protocol", help="protocol name (astrosim protocol --list)")
    parser.add_argument("--grid", action="append", default=[], metavar="KEY=VALUES",
                        help="a grid axis: KEY=v1,v2,... or KEY=start:stop:step (stop included), with units "
                             "(e.g. --grid PR0=0.1:0.5:0.1 --grid 'rates=1*Hz,5*Hz')")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="a fixed parameter value, as in astrosim protocol (e.g. --set duration=50*second)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: one per core; 0 = run in this process)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786) instead")
    parser.add_argument("--chunk", type=int, default=None, help="points per task (one batched engine run)")
    parser.add_argument("--seed", type=int, default=0, help="sweep seed (per-point streams follow from it)")
    parser.add_argument("--out", required=True, help="sweep folder (rerun the same command to finish it)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args):
    from astrosim.sweep import SweepInputError, SweepTaskError, run_sweep

    fixed = {}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            print(f"astrosim sweep: --set needs KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        if key.strip() in fixed:
            print(f"astrosim sweep: --set {key.strip()} is given twice", file=sys.stderr)
            return 2
        fixed[key.strip()] = value
    if not args.grid:
        print("astrosim sweep: give at least one --grid KEY=VALUES", file=sys.stderr)
        return 2
    try:
        result = run_sweep(args.protocol, args.grid, fixed=fixed, seed=args.seed, workers=args.workers,
                           scheduler=args.scheduler, chunk=args.chunk, out=args.out, progress=not args.quiet)
    except SweepInputError as err:
        print(f"astrosim sweep: {err}", file=sys.stderr)
        return 2
    except SweepTaskError as err:
        print(f"astrosim sweep: {err}\n(finished shards are kept; rerun the same command to continue)",
              file=sys.stderr)
        return 1
    info = result.run_info
    print(f"{args.out}: {result.done.sum()}/{result.done.size} points over "
          + " x ".join(f"{n}[{len(v)}]" for n, v in result.raw_axes.items())
          + f"; {info['ran']} task(s) run, {info['skipped']} already done; results: {', '.join(result.names)}")
    return 0
