"""Ctrl-C that is never lost during a run.

Python delivers SIGINT by raising ``KeyboardInterrupt`` at whatever bytecode runs next. When that
is inside a weak-reference callback or a ``__del__`` (Brian2 keeps many weak references, and
its own SIGINT handler forwards to the default one), the interpreter prints "Exception ignored"
and the interrupt is gone: the run would simply go on. :func:`guarded` wraps the current SIGINT
handler so that every delivery is also remembered; :func:`raise_pending` (called by the chunk
loop between chunks) raises ``KeyboardInterrupt`` for a delivery that was swallowed.
"""
from __future__ import annotations

import contextlib
import signal
import threading

_pending = False


def _remembering(previous):
    def handler(signum, frame):
        global _pending
        _pending = True
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.default_int_handler(signum, frame)
    return handler


@contextlib.contextmanager
def guarded():
    """Remember each SIGINT delivered inside the block (main thread only; a no-op elsewhere)."""
    global _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN or previous is None:
        yield
        return
    _pending = False
    signal.signal(signal.SIGINT, _remembering(previous))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _pending = False


def raise_pending():
    """Raise ``KeyboardInterrupt`` if a SIGINT arrived in the guarded block and was swallowed."""
    global _pending
    if _pending:
        _pending = False
        raise KeyboardInterrupt
