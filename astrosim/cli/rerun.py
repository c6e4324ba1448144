"""``astrosim rerun run.h5 [--out new.h5]``: run again what made a file, from the file alone."""
NAME = "rerun"
HELP = "run again the script or protocol stored in an astrosim file (same seed) and compare the results"


def add_arguments(parser):
    parser.add_argument("file", help="astrosim HDF5 file written by 'astrosim run' or 'astrosim protocol'")
    parser.add_argument("--out", help="new HDF5 file (default: FILE-rerun.h5)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    import os
    import sys
    import tempfile

    import astrosim.io as aio
    from astrosim.io.compare import compare_files

    from ._errors import CommandError, explain
    from ._paths import H5_SUFFIXES, check_input, check_output

    check_input(args.file, "file")
    out = args.out or "{}-rerun{}".format(*os.path.splitext(args.file))
    check_output(out, overwrite=args.overwrite, suffixes=H5_SUFFIXES, what="--out")
    if os.path.abspath(out) == os.path.abspath(args.file):
        raise CommandError("--out names the file being rerun; give another name")
    with aio.load(args.file) as rec:
        meta = rec.metadata
        status = rec.status
    seed = meta.get("seed")
    _check_model(meta)
    user = meta.get("user") or {}
    protocol = user.get("protocol") or meta.get("protocol")
    if protocol:
        from astrosim.protocols import get

        from .protocol import run_protocol

        values = user.get("protocol_values")
        if not isinstance(values, dict):
            raise CommandError(f"{args.file} names protocol {protocol!r} but not its exact parameter "
                               "values (written by an older astrosim); run the protocol again instead")
        module = get(protocol)
        print(f"rerunning protocol {module.NAME} with seed {seed}", file=sys.stderr)
        run_protocol(module, values, seed, out)
    elif meta.get("script_source"):
        from astrosim.io.script import record_script

        from .run import _quiet_brian2, _script_line

        _quiet_brian2()
        name = os.path.basename(str(meta.get("script") or "script.py"))
        with tempfile.TemporaryDirectory(prefix="astrosim-rerun-") as folder:
            script = os.path.join(folder, name)
            with open(script, "w", encoding="utf-8") as fh:
                fh.write(meta["script_source"])
            print(f"rerunning script {name} with seed {seed}", file=sys.stderr)
            try:
                record_script(script, out, seed=seed, overwrite=args.overwrite, progress=not args.no_progress,
                              command="astrosim " + " ".join(sys.argv[1:]),
                              extra_metadata={"rerun_of": os.path.basename(args.file)})
            except SystemExit as stop:
                if stop.code not in (None, 0):
                    raise CommandError(f"{name} exited with status {stop.code}") from stop
            except Exception as err:  # noqa: BLE001 - the stored script's error, on one line
                raise CommandError(f"{_script_line(err, script)}: {explain(err)}") from err
    else:
        raise CommandError(f"{args.file} holds neither a script nor a protocol to rerun "
                           "(written through the Python API; keep the script that made it)")
    diffs = compare_files(args.file, out)
    if not diffs:
        print(f"wrote {out}: every monitor identical to {args.file}")
    else:
        note = "" if status == "complete" else f" ({args.file} is {status})"
        print(f"wrote {out}: {len(diffs)} difference(s) from {args.file}{note}: " + "; ".join(diffs[:3]))
    return 0


def _check_model(meta):
    """Warn (one line) when the stored model text does not build Brian2 objects again."""
    import sys

    from astrosim.io.model import ModelTextError, rebuild_groups

    params = dict(meta.get("parameters") or {})
    params.update(meta.get("parameter_arrays") or {})
    try:
        rebuild_groups(meta.get("model") or {}, params)
    except ModelTextError as err:
        print(f"astrosim rerun: warning: {err}", file=sys.stderr)
