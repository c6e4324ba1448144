"""A dependency-free progress bar: redraws in place on a terminal, prints sparse lines otherwise."""
import sys
import time

__all__ = ["Progress"]


class Progress:
    """Progress over ``total`` steps with a rate and free-form postfix.

    Parameters
    ----------
    total : int
    desc : str
    stream : file, optional
        Default ``sys.stderr``.
    enabled : bool
    """

    def __init__(self, total, desc="", stream=None, enabled=True):
        self.total, self.desc, self.n = max(int(total), 1), desc, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._last_decile = -1
        self.postfix = ""

    def update(self, n=1, postfix=None):
        """Advance by ``n`` steps; redraw at most every 0.2 s (every 10 % without a terminal)."""
        self.n += n
        if postfix is not None:
            self.postfix = postfix
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            if now - self._last_draw >= 0.2 or self.n >= self.total:
                self._draw(now, end="\r")
        else:
            decile = (10 * self.n) // self.total
            if decile != self._last_decile and decile % 5 == 0:
                self._last_decile = decile
                self._draw(now, end="\n")

    def _draw(self, now, end):
        self._last_draw = now
        frac = min(self.n / self.total, 1.0)
        bar = "#" * int(24 * frac) + "-" * (24 - int(24 * frac))
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.n) / rate if rate > 0 else 0.0
        self.stream.write(f"{self.desc} [{bar}] {self.n}/{self.total} {rate:6.1f} it/s eta {eta:5.0f}s {self.postfix}   {end}")
        self.stream.flush()

    def close(self):
        """Finish the line."""
        if self.enabled and self.tty:
            self._draw(time.perf_counter(), end="\n")
