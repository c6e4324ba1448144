"""Run an unmodified Brian2 script with the astrosim engine, streaming its monitors into HDF5."""
import os
import sys

__all__ = ["record_script"]


def record_script(script, out=None, *, seed=None, overwrite=False, progress=True, flush_every=2.0, command=None):
    """Run ``script`` through ``astrosim.run_script`` and record all of its monitors into ``out``.

    Parameters
    ----------
    script : str or path-like
        A Brian2 script (it runs unmodified; ``brian2.run`` goes to the astrosim engine).
    out : str or path-like, optional
        HDF5 file receiving every monitor while the run goes (not written if None).
    seed : int, optional
        Seed of the run (stored in the file).
    overwrite : bool
        Replace an existing ``out`` (checked before the script starts).
    progress : bool
        Show a progress bar (simulated time, speed, ETA) on stderr.
    flush_every : float
        Wall-clock seconds between flushes of ``out`` to disk.
    command : str, optional
        The command line to store in the metadata (default: this process's argv).

    Returns
    -------
    dict
        The script's namespace after the run.
    """
    import astrosim

    script = os.fspath(script)
    if not os.path.isfile(script):
        raise FileNotFoundError(f"{script}: no such script")
    listeners = []
    recorder = None
    if out is not None:
        from .recorder import H5Recorder

        metadata = {"script": os.path.abspath(script), "seed": seed, "command": command or " ".join(sys.argv)}
        recorder = H5Recorder(out, overwrite=overwrite, metadata=metadata, flush_every=flush_every)
        listeners.append(recorder)
    if progress:
        from astrosim.progress import ProgressBar

        listeners.append(ProgressBar())
    try:
        return astrosim.run_script(script, seed=seed, listeners=listeners)
    finally:
        if recorder is not None:
            recorder.close()
