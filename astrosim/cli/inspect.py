"""``astrosim inspect``: print the tree of an astrosim HDF5 file with shapes, units and metadata."""
NAME = "inspect"
HELP = "show what an astrosim HDF5 file holds (monitors, shapes, units, metadata, model)"


def add_arguments(parser):
    parser.add_argument("file", help="astrosim HDF5 file")
    parser.add_argument("--no-model", action="store_true", help="leave out the model equations")


def run(args):
    import sys

    from astrosim.io import H5FormatError
    from astrosim.io.describe import describe

    try:
        print("\n".join(describe(args.file, show_model=not args.no_model)))
    except (FileNotFoundError, H5FormatError) as err:
        print(f"astrosim inspect: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        return 0
    return 0
