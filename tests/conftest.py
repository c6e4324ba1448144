"""Shared test set-up: headless plotting, Brian2 on its numpy target, a per-test scope."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _brian_scope():
    """Give every test a fresh Brian2 scope, numpy target and default dt."""
    try:
        import brian2
    except ImportError:  # pragma: no cover - brian2 is a hard dependency
        yield
        return
    brian2.start_scope()
    brian2.prefs.codegen.target = "numpy"
    brian2.defaultclock.dt = 0.1 * brian2.ms
    yield
