"""``astrosim run``: run an unmodified Brian2 script with the astrosim engine, optionally into HDF5."""
NAME = "run"
HELP = "run a Brian2 script with the astrosim engine (--out run.h5 records all its monitors)"


def add_arguments(parser):
    parser.add_argument("script", help="Brian2 script (.py), run unmodified")
    parser.add_argument("--out", help="HDF5 file receiving every monitor while the run goes")
    parser.add_argument("--seed", type=int, help="random seed of the run")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument("--flush-every", type=float, default=2.0, metavar="SECONDS",
                        help="wall-clock seconds between flushes of --out to disk (default 2)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    import sys

    from astrosim.io import H5FormatError
    from astrosim.io.script import record_script

    try:
        record_script(args.script, args.out, seed=args.seed, overwrite=args.overwrite,
                      progress=not args.no_progress, flush_every=args.flush_every, command="astrosim " + " ".join(sys.argv[1:]))
    except (FileExistsError, FileNotFoundError, H5FormatError) as err:
        print(f"astrosim run: error: {err}", file=sys.stderr)
        return 2
    if args.out:
        print(f"recorded to {args.out}", file=sys.stderr)
    return 0
