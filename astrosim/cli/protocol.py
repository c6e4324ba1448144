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
    parser.add_argument("--out", help="HDF5 output file")
    parser.add_argument("--plot", help="figure file (png/pdf/svg)")
    parser.add_argument("--seed", type=int, default=None, help="random seed")


def run(args):
    from astrosim.protocols import PROTOCOLS, get
    from astrosim.protocols._base import ProtocolParameterError, describe_parameters

    if args.list:
        for name in PROTOCOLS:
            print(f"{name:22s} {get(name).SUMMARY}")
        return 0
    if not args.name:
        print("astrosim protocol: give a protocol name or --list", file=sys.stderr)
        return 2
    try:
        module = get(args.name)
    except KeyError as err:
        print(f"astrosim protocol: {err.args[0]}", file=sys.stderr)
        return 2
    if args.params:
        print(f"{module.NAME}: {module.SUMMARY}\n{describe_parameters(module.PARAMETERS)}")
        return 0
    overrides = {}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            print(f"astrosim protocol: --set needs KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        overrides[key.strip()] = value
    try:
        from brian2 import prefs

        prefs.codegen.target = "numpy"
        result = module.run(overrides, seed=args.seed, out=args.out, report="text")
    except (ProtocolParameterError, ValueError) as err:
        print(f"astrosim protocol {module.NAME}: {err}", file=sys.stderr)
        return 2
    for key, value in result["summary"].items():
        print(f"{key}: {value}")
    if args.out:
        print(f"wrote {args.out}")
    if args.plot:
        module.plot(result, args.plot)
        print(f"wrote {args.plot}")
    return 0
