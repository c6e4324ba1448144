"""Run an unmodified Brian2 script with the astrosim engine, streaming its monitors into HDF5."""
import os
import sys

__all__ = ["record_script", "FileMonitors"]


class FileMonitors:
    """Listener keeping a recorded run bounded in memory: monitors are answered from the file.

    At the start of each unbatched run the simulator stops filling the Brian2 monitors
    (``keep_in_monitors=False``); at its end the monitors read their data from the recorder's
    file on first access (`astrosim.io.backed.answer_from_file`), so the script's own analysis
    after the run sees the same values. Goes after the `H5Recorder` in the listener list.
    """

    def __init__(self, recorder):
        self.recorder = recorder
        self._monitors = {}

    def on_run_start(self, sim, duration_s):
        from .recorder import monitors_of

        if getattr(sim, "batch", None) is None:
            sim.keep_in_monitors = False
            self._monitors = {m.name: m for m in monitors_of(sim.network)}

    def on_chunk(self, sim, data, t_end):
        pass

    def on_run_end(self, sim):
        from .backed import answer_from_file

        if self._monitors and os.path.exists(self.recorder.path):
            answer_from_file(self.recorder.path, self._monitors)
        self._monitors = {}


def _without_folders(command):
    """The command line with absolute or existing paths shortened to their names (no folders of this machine)."""
    words = []
    for word in command.split(" "):
        shorten = os.sep in word and (os.path.isabs(word) or os.path.exists(word))
        words.append(os.path.basename(word) if shorten else word)
    return " ".join(words)


def record_script(script, out=None, *, seed=None, overwrite=False, progress=True, flush_every=2.0, command=None,
                  extra_metadata=None):
    """Run ``script`` through ``astrosim.run_script`` and record all of its monitors into ``out``.

    Parameters
    ----------
    script : str or path-like
        A Brian2 script (it runs unmodified; ``brian2.run`` goes to the astrosim engine).
    out : str or path-like, optional
        HDF5 file receiving every monitor while the run goes (not written if None). The monitors
        keep no data in memory during the run; afterwards they read it from the file.
    seed : int, optional
        Seed of the run; drawn at random when None. Stored in the file, so that
        ``astrosim rerun`` reproduces stochastic runs.
    overwrite : bool
        Replace an existing ``out`` (checked before the script starts).
    progress : bool
        Show a progress bar (simulated time, speed, ETA) on stderr.
    flush_every : float
        Wall-clock seconds between flushes of ``out`` to disk.
    command : str, optional
        The command line to store in the metadata (default: this process's argv).
    extra_metadata : dict, optional
        More metadata items (e.g. ``rerun_of``).

    Returns
    -------
    dict
        The script's namespace after the run.
    """
    import numpy as np

    import astrosim

    script = os.fspath(script)
    if not os.path.isfile(script):
        raise FileNotFoundError(f"{script}: no such script")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0] % (2 ** 31 - 1))
    listeners = []
    recorder = None
    if out is not None:
        from .recorder import H5Recorder

        with open(script, encoding="utf-8") as fh:
            source = fh.read()
        # the script's name, not where it lies on this machine
        metadata = {"script": os.path.basename(script), "script_source": source, "seed": seed,
                    "command": _without_folders(command or " ".join(sys.argv)), **(extra_metadata or {})}
        recorder = H5Recorder(out, overwrite=overwrite, metadata=metadata, flush_every=flush_every)
        listeners += [recorder, FileMonitors(recorder)]
    if progress:
        from astrosim.progress import ProgressBar

        listeners.append(ProgressBar())
    try:
        return astrosim.run_script(script, seed=seed, listeners=listeners)
    except BaseException as err:
        if recorder is not None:
            recorder.fail(err)
        raise
    finally:
        if recorder is not None:
            recorder.close()
