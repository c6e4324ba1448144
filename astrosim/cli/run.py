"""``astrosim run``: run an unmodified Brian2 script with the astrosim engine, optionally into HDF5."""
NAME = "run"
HELP = "run a Brian2 script with the astrosim engine (--out run.h5 records all its monitors)"


def add_arguments(parser):
    parser.add_argument("script", help="Brian2 script (.py), run unmodified")
    parser.add_argument("--out", help="HDF5 file receiving every monitor while the run goes")
    parser.add_argument("--seed", type=int, help="random seed of the run (default: drawn, and stored in --out)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument("--flush-every", type=float, default=2.0, metavar="SECONDS",
                        help="wall-clock seconds between flushes of --out to disk (default 2)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    import os
    import sys

    from ._errors import CommandError, explain
    from ._paths import check_input, check_output

    check_input(args.script, "script")
    if args.out:
        check_output(args.out, overwrite=args.overwrite, suffixes=(".h5", ".hdf5"), what="--out")
    if args.flush_every < 0:
        raise CommandError(f"--flush-every must be >= 0 seconds, got {args.flush_every:g}")
    from astrosim.io.script import record_script

    _quiet_brian2()
    try:
        record_script(args.script, args.out, seed=args.seed, overwrite=args.overwrite,
                      progress=not args.no_progress, flush_every=args.flush_every,
                      command="astrosim " + " ".join(sys.argv[1:]))
    except SystemExit as stop:  # the script called sys.exit()
        if stop.code not in (None, 0):
            raise CommandError(f"{args.script} exited with status {stop.code}") from stop
    except Exception as err:  # noqa: BLE001 - an error of the script: one line, exit 2
        raise CommandError(f"{_script_line(err, args.script)}: {explain(err)}") from err
    if args.out:
        if os.path.exists(args.out):
            print(f"recorded to {args.out}", file=sys.stderr)
        else:
            print(f"{args.script} ran no simulation: nothing recorded, {args.out} not written", file=sys.stderr)
    return 0


def _quiet_brian2():
    """No "unexpected error, please report" banner or debug-log files for errors of the user's script."""
    import sys

    import brian2  # noqa: F401 - installs its excepthook, replaced here

    sys.excepthook = sys.__excepthook__


def _script_line(err, script):
    """``'model.py, line 12'``: the last line of the script in the error's traceback."""
    import os
    import traceback

    where = os.path.basename(script)
    target = os.path.abspath(script)
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if os.path.abspath(frame.filename) == target:
            line = frame.lineno
    return f"{where}, line {line}" if line else where
