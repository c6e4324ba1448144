"""``astrosim protocol NAME [--set key=value ...] --out run.h5 --plot fig.png``: run a biophysical protocol."""
import sys

NAME = "protocol"
HELP = "run a biophysical protocol (calcium vs frequency, STDP window, ...); --list names them"


def add_arguments(parser):
    parser.add_argument("name", nargs="?", help="protocol name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the protocols, one line each")
    parser.add_argument("--params", action="store_true", help="show the protocol's parameters and defaults")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter, with units (e.g. --set duration=20*second --set 'rates=[1,5]*Hz')")
    parser.add_argument("--out", help="HDF5 output file (refused if it exists, unless --overwrite)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing --out / --plot (the old file stays until the new one is written)")
    parser.add_argument("--plot", help="figure file (png/pdf/svg)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: drawn, and stored in --out)")


def format_value(value):
    """Summary values with sensible precision: 4 significant digits, lists shortened."""
    import numpy as np

    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged lists
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if arr.dtype == object and isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if arr.dtype.kind not in "biuf":
        return str(value)
    if arr.ndim == 0:
        return f"{float(arr):.4g}"
    shown = [f"{float(x):.4g}" for x in arr.ravel()[:12]]
    more = f", ... ({arr.size} values)" if arr.size > 12 else ""
    return "[" + ", ".join(shown) + more + "]"


def run(args):
    import os

    from astrosim.protocols import PROTOCOLS, get
    from astrosim.protocols._base import describe_parameters

    from ._errors import CommandError
    from ._paths import FIGURE_SUFFIXES, H5_SUFFIXES, check_output

    if args.list:
        for name in PROTOCOLS:
            print(f"{name:22s} {get(name).SUMMARY}")
        return 0
    if not args.name:
        raise CommandError("give a protocol name or --list")
    module = get(args.name)  # KeyError: unknown protocol, with the list of known ones
    if args.params:
        print(f"{module.NAME}: {module.SUMMARY}\n{describe_parameters(module.PARAMETERS)}")
        return 0
    overrides = {}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set needs KEY=VALUE, got {item!r}")
        overrides[key.strip()] = value
    # everything that could fail after the run is checked before it
    if args.out:
        check_output(args.out, overwrite=args.overwrite, suffixes=H5_SUFFIXES, what="--out")
    if args.plot:
        check_output(args.plot, overwrite=args.overwrite, suffixes=FIGURE_SUFFIXES, what="--plot")
        if args.out and os.path.abspath(args.plot) == os.path.abspath(args.out):
            raise CommandError("--plot and --out name the same file")
    from astrosim.protocols._base import resolve

    resolve(module.PARAMETERS, overrides, module.NAME)  # bad --set values: refused before any work
    seed = draw_seed() if args.seed is None else args.seed
    result, written = run_protocol(module, overrides, seed, args.out)
    for key, value in result["summary"].items():
        print(f"{key}: {format_value(value)}")
    if written:
        print(f"wrote {written}")
    if args.plot:
        module.plot(result, args.plot)
        print(f"wrote {args.plot}")
    return 0


def draw_seed():
    """A fresh seed (stored in the file so that the run can be repeated)."""
    import numpy as np

    return int(np.random.SeedSequence().generate_state(1)[0] % (2 ** 31 - 1))


def run_protocol(module, overrides, seed, out):
    """Run ``module`` with ``seed`` into ``out``; an existing ``out`` is replaced only once the new file is whole.

    Returns ``(result, path written or None)``.
    """
    import os

    from brian2 import prefs
    from brian2 import seed as brian_seed

    prefs.codegen.target = "numpy"
    brian_seed(seed)  # numpy's and Brian2's generators: initial values, connections
    target = out
    if out and os.path.exists(out):  # --overwrite: write beside it, then swap
        root, ext = os.path.splitext(out)
        target = f"{root}.partial-{os.getpid()}{ext}"
    try:
        result = module.run(overrides, seed=seed, out=target, report="text")
    except BaseException as err:
        if target and os.path.exists(target):
            _mark_stopped(target, err)
        if target != out and target and os.path.exists(target):
            print(f"astrosim protocol: the run stopped; {out} is unchanged, the partial run is in {target}",
                  file=sys.stderr)
        raise
    if target != out:
        os.replace(target, out)
    return result, out


def _mark_stopped(path, err):
    """Say in a streamed file why the protocol stopped (a NaN is raised after the recorder closed)."""
    import h5py

    from astrosim.io.recorder import set_status

    try:
        with h5py.File(path, "r+") as f:
            if f.attrs.get("status") in ("running", "interrupted"):
                if isinstance(err, KeyboardInterrupt):
                    set_status(f, "interrupted", "interrupted (Ctrl-C)")
                else:
                    set_status(f, "failed", f"{type(err).__name__}: {err}")
    except OSError:  # not a file we can open: leave it as it is
        pass
