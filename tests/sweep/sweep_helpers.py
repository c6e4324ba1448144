"""The reference grid of the small noisy LIF model and helpers shared by the sweep tests."""
import numpy as np
from brian2 import ms

import sweep_models

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
