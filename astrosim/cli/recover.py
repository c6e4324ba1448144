"""``astrosim recover``: make the file of a killed run openable by plain HDF5 tools."""
NAME = "recover"
HELP = "make the file of a killed or crashed run openable by plain HDF5 readers (h5py, h5dump, MATLAB)"


def add_arguments(parser):
    parser.add_argument("file", help="astrosim HDF5 file left by a run that was killed or crashed")
    parser.add_argument("-o", "--out", help="write the recovered file here and leave FILE untouched "
                        "(default: repair FILE in place; only a few bytes of its header change)")
    parser.add_argument("--force", action="store_true",
                        help="recover even if a process still has the file open for writing")


def run(args):
    import sys

    from astrosim.io.recover import RecoverError, recover

    try:
        result = recover(args.file, out=args.out, force=args.force)
    except (FileNotFoundError, FileExistsError, RecoverError) as err:
        print(f"astrosim recover: error: {err}", file=sys.stderr)
        return 2
    if not result.changed:
        print(f"{args.file}: {result.note}")
        return 0
    where = result.path if args.out else args.file
    line = f"{where}: recovered; plain HDF5 readers open it now"
    if result.status:
        line += f" (status {result.status}, data complete up to t = {result.t_complete:g} s)"
    print(line)
    if result.note:
        print(f"note: {result.note}")
    return 0
