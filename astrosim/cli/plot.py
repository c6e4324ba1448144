"""``astrosim plot``: figures from an astrosim HDF5 file (raster, traces, rates, calcium, summary)."""
NAME = "plot"
HELP = "plot an astrosim HDF5 file: raster | traces | rates | calcium | summary"

KINDS = ("raster", "traces", "rates", "calcium", "summary")


def _time(text):
    """Seconds from '250ms', '1.5 s', '0.2' (seconds)."""
    text = text.strip().replace(" ", "")
    for suffix, scale in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale
    return float(text)


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

    from astrosim.io import H5FormatError
    from astrosim.plotting import plot_file

    from astrosim.sweep import is_sweep_folder

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
    try:
        out = plot_file(args.file, args.output, args.kind, args.group, args.t_start, args.t_stop,
                        dpi=args.dpi, **options)
    except (FileNotFoundError, H5FormatError, ValueError, KeyError) as err:
        print(f"astrosim plot: error: {err}", file=sys.stderr)
        return 2
    print(out)
    return 0
