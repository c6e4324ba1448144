"""Brian2's COBA (Stimberg et al. 2018 Fig. 1), CUBA and COBAHH examples: astrosim vs brian2.run.

All three are deterministic once built (random initial values and connectivity are drawn by
Brian2 at build time from the same seed), so spike trains must be identical and every recorded
or final state must agree to a norm-wise relative error of 1e-9 (float64, same method and dt).
Runs are shortened to 50-100 ms so that the Brian2 numpy reference stays a few seconds.
"""
import sys
from pathlib import Path

import brian2 as b2
from brian2 import ms

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from astrosim.testing.networks import build_coba, build_cuba, build_cobahh  # noqa: E402
from tests.engine.networks.compare import (  # noqa: E402
    assert_close, assert_same_spikes, astrosim_run, run_backend)

RTOL = 1e-9


def _both(builder, duration, state_vars, seed=2718, **kwargs):
    ref = run_backend(b2.run, builder, duration, seed=seed, dt=0.1 * ms,
                      state_vars=state_vars, **kwargs)
    got = run_backend(astrosim_run(), builder, duration, seed=seed, dt=0.1 * ms,
                      state_vars=state_vars, **kwargs)
    return got, ref


def test_coba_stp_matches_brian2():
    """Fig. 1 network, full size (4,000 neurons, STP synapses, subgroup monitors), 100 ms."""
    got, ref = _both(build_coba, 100 * ms,
                     {"neurons": ["v", "g_e", "g_i"], "exc_syn": ["u_S", "x_S"],
                      "inh_syn": ["u_S", "x_S", "lastupdate"]})
    assert len(ref["exc_mon.i"]) > 100 and len(ref["inh_mon.i"]) > 20  # the test sees activity
    assert_same_spikes(got, ref, "exc_mon")
    assert_same_spikes(got, ref, "inh_mon")
    assert_close(got, ref, rtol=RTOL)


def test_cuba_matches_brian2():
    """CUBA benchmark (exact integration, two synapse sets on one group), 50 ms."""
    got, ref = _both(build_cuba, 50 * ms, {"P": ["v", "ge", "gi", "lastspike"]})
    assert len(ref["s_mon.i"]) > 100
    assert_same_spikes(got, ref, "s_mon")
    assert_close(got, ref, rtol=RTOL)


def test_cobahh_matches_brian2():
    """COBAHH benchmark (exponential Euler, exprel, refractory without reset), 50 ms."""
    got, ref = _both(build_cobahh, 50 * ms, {"P": ["v", "m", "n", "h", "ge", "gi"]})
    assert len(ref["spikes.i"]) > 100
    assert_same_spikes(got, ref, "spikes")
    assert_close(got, ref, rtol=RTOL)
