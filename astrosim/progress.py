"""`ProgressBar`: a chunk listener printing simulated time, simulation speed and ETA of a run."""
import sys
import time

__all__ = ["ProgressBar", "format_seconds"]


def format_seconds(seconds):
    """``'1:02:03'`` / ``'2:03'`` for a wall-clock duration; ``'?'`` if unknown."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _sim_time(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms"


class ProgressBar:
    """Progress of an engine run, as a chunk listener.

    Shows ``[#####.....]  45%  0.45 s / 1.00 s simulated  0.31 s/s  ETA 0:02``: the simulated
    time reached, the simulation speed (simulated seconds per wall-clock second) and the
    estimated remaining wall time.

    Parameters
    ----------
    stream : file-like
        Where to write (default ``sys.stderr``).
    min_interval : float
        Smallest wall-clock interval between two updates, in seconds.
    width : int
        Characters of the bar.
    """

    def __init__(self, stream=None, min_interval=0.5, width=24):
        self.stream = stream if stream is not None else sys.stderr
        self.min_interval = float(min_interval)
        self.width = int(width)
        self.lines = []

    def on_run_start(self, sim, duration_s):
        """Remember the start (simulated and wall time)."""
        self._t0 = float(getattr(sim.network, "t_", 0.0))
        self._duration = float(duration_s)
        self._wall0 = time.perf_counter()
        self._last = -float("inf")
        self._t = self._t0

    def on_chunk(self, sim, data, t_end):
        """Update the line if ``min_interval`` has passed."""
        self._t = float(t_end)
        now = time.perf_counter()
        if now - self._last >= self.min_interval:
            self._last = now
            self._show(end="")

    def on_run_end(self, sim):
        """Print the final line."""
        self._show(end="\n")

    def status(self):
        """The current progress line (text)."""
        done = self._t - self._t0
        frac = 1.0 if self._duration <= 0 else min(max(done / self._duration, 0.0), 1.0)
        wall = time.perf_counter() - self._wall0
        speed = done / wall if wall > 0 else float("nan")
        remaining = (self._duration - done) / speed if speed and speed > 0 else None
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        eta = "done in " + format_seconds(wall) if frac >= 1.0 else "ETA " + format_seconds(remaining)
        return (
            f"[{bar}] {frac * 100:5.1f}%  {_sim_time(done)} / {_sim_time(self._duration)} simulated  "
            f"{speed:.3g} s/s  {eta}"
        )

    def _show(self, end):
        line = self.status()
        self.lines.append(line)
        tty = getattr(self.stream, "isatty", lambda: False)()
        if tty:
            self.stream.write("\r" + line + end)
        elif end:
            self.stream.write(line + end)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
