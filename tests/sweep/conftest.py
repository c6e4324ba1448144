"""A reference sweep of the small noisy LIF model, run in this process (also warms the kernel cache)."""
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import ms

sys.path.insert(0, str(Path(__file__).parent))
import sweep_models  # noqa: E402

#: tau is structural (two groups), I0 varies per batch copy: 12 points.
GRID = {"tau": [10, 20] * ms, "I0": np.linspace(0.8, 1.6, 6)}
DURATION = 200 * ms
RESULTS = ("count", "v_end", "first_spike_t")


def run(out, **kw):
    import astrosim

    kw.setdefault("workers", 0)
    kw.setdefault("progress", False)
    kw.setdefault("seed", 1)
    return astrosim.sweep(sweep_models.noisy_lif, GRID, duration=DURATION, out=out, **kw)


def assert_same(a, b):
    assert a.complete and b.complete
    for name in RESULTS:
        assert np.array_equal(a.raw(name), b.raw(name), equal_nan=True), name


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """Two tasks (one per tau), each one batched run of 6 copies."""
    return run(tmp_path_factory.mktemp("ref") / "sweep", chunk=6)
