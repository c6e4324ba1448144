"""``astrosim plot``: figures from an astrosim HDF5 file (raster, traces, rates, calcium, summary)."""
NAME = "plot"
HELP = "plot an astrosim HDF5 file: raster | traces | rates | calcium | summary"

KINDS = ("raster", "traces", "rates", "calcium", "summary")


def _time(text):
    """Seconds from '250ms', '1.5 s', '0.2' (seconds)."""
    import argparse

    raw = text
    text = text.strip().replace(" ", "")
    try:
        for suffix, scale in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0)):
            if text.endswith(suffix):
                return float(text[: -len(suffix)]) * scale
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a time (e.g. 250ms, 1.5s, 0.2)") from None


def add_arguments(parser):
    parser.add_argument("file", help="astrosim HDF5 file, or a sweep folder")
    parser.add_argument("--kind", choices=KINDS, default="summary")
    parser.add_argument("--group", help="monitor or source group name (default: the first that fits)")
    parser.add_argument("--var", action="append", help="variable(s) to plot (traces, calcium)")
    parser.add_argument("--t-start", type=_time, help="start time, e.g. 100ms or 0.1 (s)")
    parser.add_argument("--t-stop", type=_time, help="stop time, e.g. 2s")
    parser.add_argument("--threshold", type=float, help="calcium threshold in SI units (mol/m^3 = mM)")
    parser.add_argument("--max-neurons", type=int, default=400, help="raster: most neurons drawn")
    parser.add_argument("--batch", type=int, default=0, help="batch copy to draw (batched runs)")
    parser.add_argument("--dpi", type=int, default=120, help="resolution of PNG output")
    parser.add_argument("-o", "--output", required=True, help="output figure (.png, .pdf or .svg)")
    # sweep folders (astrosim sweep): --var RESULT against --x AXIS [--y AXIS], other axes fixed by --at
    parser.add_argument("--x", help="sweep: grid axis on the horizontal axis")
    parser.add_argument("--y", help="sweep: second grid axis (a map)")
    parser.add_argument("--at", action="append", default=[], metavar="AXIS=VALUE", help="sweep: fix a grid axis")


def run(args):
    import sys

    from astrosim.plotting import plot_file
    from astrosim.sweep import is_sweep_folder

    from ._errors import CommandError

    if is_sweep_folder(args.file):  # a sweep folder: results against grid axes (astrosim/plotting/sweep.py)
        from astrosim.plotting.sweep import run_cli

        return run_cli(args)
    options = {}
    if args.kind == "raster":
        options.update(max_neurons=args.max_neurons, batch=args.batch)
    elif args.kind == "traces":
        options.update(variables=args.var, batch=args.batch)
    elif args.kind == "calcium":
        options.update(variable=args.var[0] if args.var else None, threshold=args.threshold, batch=args.batch)
    elif args.kind == "rates":
        options.update(batch=args.batch)
    import warnings

    from ._paths import FIGURE_SUFFIXES, check_input, check_output

    check_input(args.file, "file")
    check_output(args.output, overwrite=True, suffixes=FIGURE_SUFFIXES, what="-o")
    if args.max_neurons < 1 or args.dpi < 1:
        raise CommandError("--max-neurons and --dpi must be at least 1")
    import brian2  # noqa: F401 - imported first: it redirects warnings into its log when loaded
    from astrosim.plotting._common import EmptyWindowWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmptyWindowWarning)
        out = plot_file(args.file, args.output, args.kind, args.group, args.t_start, args.t_stop,
                        dpi=args.dpi, **options)
    for w in caught:
        if issubclass(w.category, EmptyWindowWarning):
            print(f"astrosim plot: warning: {w.message}", file=sys.stderr)
    print(out)
    return 0
