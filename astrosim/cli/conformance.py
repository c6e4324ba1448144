"""``astrosim conformance``: run Brian2 2.9.0's own test suite against astrosim."""
import sys

NAME = "conformance"
HELP = "run Brian2's standalone-compatible test suite against astrosim; count passed/refused/failed"

__all__ = ["NAME", "HELP", "add_arguments", "run"]


def add_arguments(parser):
    parser.add_argument("--subset", action="store_true",
                        help="only the fixed CI subset (astrosim.conformance.CI_SUBSET)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression narrowing the tests")
    parser.add_argument("--long", action="store_true", help="include tests Brian2 marks 'long'")
    parser.add_argument("--stand-in", action="store_true",
                        help="run Brian2's own loop through the same device route (harness check)")
    parser.add_argument("--json", metavar="PATH", help="also write every test's outcome as JSON")


def run(args):
    import json

    from astrosim.conformance import CI_SUBSET, run_conformance

    def progress(nodeid, rec):
        short = nodeid.split("brian2/tests/")[-1]
        print(f"  {rec['status']:8} {rec['seconds']:6.1f}s {short}", file=sys.stderr, flush=True)

    result = run_conformance("standin" if args.stand_in else "astrosim",
                             only=CI_SUBSET if args.subset else None, keyword=args.keyword,
                             long_tests=args.long, progress=progress)
    print("\n== astrosim conformance (Brian2 standalone-compatible tests) ==")
    print(result.summary())
    for title, items in (("refused (UnsupportedFeatureError)", result.refused),
                         ("FAILED", result.failed)):
        if items:
            print(f"\n{title}:")
            for nodeid, message in items:
                print(f"  {nodeid}: {message}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"passed": result.passed, "failed": result.failed, "refused": result.refused,
                       "skipped": result.skipped, "seconds": result.seconds}, fh, indent=1)
    return 0 if not result.failed else 1
