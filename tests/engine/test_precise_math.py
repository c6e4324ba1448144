"""Precise maths (``precise_math=True``) against Brian2's numpy target, and the fast default's bound.

Brian2's Hodgkin-Huxley I-F curve example: exponential Euler with ``exp`` and ``exprel`` in every
gating rate, 40 neurons over a ramp of input currents, 300 ms. With libm's ``exp`` the engine
agrees with Brian2 to 1e-12 (spikes on identical steps); the default vectorisable ``exp``
(within 1 ulp of libm) stays within the bound stated in docs/engine.md.
"""
import brian2 as b2
import numpy as np
from brian2 import ms

import astrosim
from astrosim.engine import EngineOptions
from astrosim.testing.networks import build_hh_if_curve
from tests.engine.networks.compare import assert_close, assert_same_spikes, relative_error, run_backend

STATE = {"group": ["v", "m", "n", "h"]}
DURATION = 300 * ms


def _run(run_function, **kwargs):
    return run_backend(run_function, build_hh_if_curve, DURATION, seed=1, dt=0.1 * ms,
                       state_vars=STATE, **kwargs)


def test_hh_if_curve_precise_and_fast():
    ref = _run(b2.run)
    precise = _run(astrosim.run, run_kwargs={"options": EngineOptions(precise_math=True)})
    assert len(ref["spikes.i"]) > 50 and len(np.unique(ref["spikes.i"])) > 10  # an I-F curve
    assert_same_spikes(precise, ref, "spikes")
    assert_close(precise, ref, rtol=1e-12)
    fast = _run(astrosim.run, run_kwargs={"options": EngineOptions(precise_math=False)})
    worst = max(relative_error(fast[k], ref[k]) for k in ref if k.startswith(("group.", "trace.")))
    assert worst <= 1e-6, f"fast exp: relative error {worst:.2e} above the documented bound"
