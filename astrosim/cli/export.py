"""``astrosim export``: write a recording as NWB (pynwb) or as a SONATA spike file."""
NAME = "export"
HELP = "export an astrosim HDF5 file to NWB (--format nwb) or a SONATA spike file (--format sonata)"

_SUFFIX = {"nwb": ".nwb", "sonata": "_spikes.h5"}


def add_arguments(parser):
    parser.add_argument("file", help="astrosim HDF5 file (a killed run's file works too)")
    parser.add_argument("--format", required=True, choices=sorted(_SUFFIX), help="output format")
    parser.add_argument("-o", "--out", help="output file (default: FILE with .nwb, or _spikes.h5 for sonata)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--monitors", help="comma-separated monitor names to export (default: all)")


def run(args):
    import os
    import sys

    from astrosim.io import H5FormatError

    out = args.out or os.path.splitext(args.file)[0] + _SUFFIX[args.format]
    monitors = None if not args.monitors else [m.strip() for m in args.monitors.split(",") if m.strip()]
    try:
        if os.path.exists(out) and os.path.exists(args.file) and os.path.samefile(out, args.file):
            raise ValueError(f"{out} is the file being exported; choose another output name")
        if os.path.exists(out) and not args.overwrite:
            raise FileExistsError(f"{out} exists; pass --overwrite to replace it")
        if args.format == "nwb":
            try:
                from astrosim.io.nwb import to_nwb
            except ImportError as err:
                raise _missing(err) from None
            counts = to_nwb(args.file, out, overwrite=args.overwrite, monitors=monitors)
            print(f"{out}: NWB file with {counts['units']} units ({counts['spikes']} spikes) and "
                  f"{counts['series']} time series")
        else:
            from astrosim.io.sonata import to_sonata

            counts = to_sonata(args.file, out, overwrite=args.overwrite, monitors=monitors)
            print(f"{out}: SONATA spikes, populations "
                  + ", ".join(f"{p} ({n} spikes)" for p, n in counts["populations"].items()))
        for note in counts.get("notes", ()):
            print(f"note: {note}")
    except (FileNotFoundError, FileExistsError, H5FormatError, ValueError, ImportError) as err:
        print(f"astrosim export: error: {err}", file=sys.stderr)
        return 2
    return 0


def _missing(err):
    return ImportError(f"{err.name or err}: NWB export needs pynwb; install it with pip install 'astrosim[export]'")
