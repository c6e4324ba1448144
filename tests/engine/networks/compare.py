"""Run one network builder under Brian2 and under astrosim, and compare what comes out.

Results are captured as plain float64/int arrays (SI units) so that both sides can be compared
after the Brian2 scope of the first run has been left.
"""
import os

import numpy as np
import brian2 as b2

from astrosim.testing.networks import run_in_namespace

__all__ = ["astrosim_run", "capture", "run_backend", "assert_close", "assert_same_spikes",
           "relative_error"]


def astrosim_run():
    """``astrosim.run``; ``ASTROSIM_VALIDATION_STANDIN=1`` swaps in ``brian2.run`` (harness checks only)."""
    if os.environ.get("ASTROSIM_VALIDATION_STANDIN") == "1":
        return b2.run
    import astrosim

    return astrosim.run


def capture(ns, state_vars=None):
    """Copy every monitor's data and the requested final state variables out of ``ns``.

    Parameters
    ----------
    ns : dict
        A builder namespace after a run.
    state_vars : dict, optional
        ``{object name in ns: [variable, ...]}`` final values to copy.
    """
    out = {}
    for key, obj in ns.items():
        if isinstance(obj, b2.SpikeMonitor):
            out[f"{key}.i"] = np.asarray(obj.i[:], dtype=np.int64)
            out[f"{key}.t"] = np.asarray(obj.t_[:], dtype=float)
        elif isinstance(obj, b2.StateMonitor):
            out[f"{key}.t"] = np.asarray(obj.t_[:], dtype=float)
            for var in obj.record_variables:
                out[f"{key}.{var}"] = np.array(getattr(obj, var + "_"), dtype=float)
        elif isinstance(obj, b2.PopulationRateMonitor):
            out[f"{key}.rate"] = np.asarray(obj.rate_[:], dtype=float)
    for key, names in (state_vars or {}).items():
        for var in names:
            out[f"{key}.{var}"] = np.array(getattr(ns[key], var + "_")[:], dtype=float)
    return out


def run_backend(run_function, builder, duration, *, seed, dt, state_vars=None,
                run_kwargs=None, **build_kwargs):
    """Build ``builder(**build_kwargs)`` in a fresh scope with ``seed``, run it, capture results.

    The seed is set before building, so initial values and connectivity (drawn at build time
    by Brian2's numpy setup code) are identical for both back ends.
    """
    b2.start_scope()
    b2.defaultclock.dt = dt
    b2.seed(seed)
    ns = builder(**build_kwargs)
    run_in_namespace(run_function, ns, duration, **(run_kwargs or {}))
    return capture(ns, state_vars)


def relative_error(got, expected):
    """Norm-wise relative error ``max|got - expected| / max|expected|`` (absolute if expected ≡ 0)."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        raise AssertionError(f"shape {got.shape} != expected {expected.shape}")
    if got.size == 0:
        return 0.0
    diff = np.max(np.abs(got - expected))
    scale = np.max(np.abs(expected))
    return float(diff / scale) if scale > 0 else float(diff)


def assert_close(got, expected, keys=None, rtol=1e-9):
    """Assert norm-wise relative error ≤ ``rtol`` for each captured array (all keys by default)."""
    keys = sorted(expected) if keys is None else keys
    errors = {k: relative_error(got[k], expected[k]) for k in keys}
    bad = {k: e for k, e in errors.items() if not e <= rtol}
    assert not bad, f"relative error above {rtol}: {bad}"
    return errors


def assert_same_spikes(got, expected, monitor):
    """Assert identical spike trains (indices exactly, times to 1e-12 s) for ``monitor``."""
    gi, ei = got[f"{monitor}.i"], expected[f"{monitor}.i"]
    gt, et = got[f"{monitor}.t"], expected[f"{monitor}.t"]
    assert len(gi) == len(ei), f"{monitor}: {len(gi)} spikes, Brian2 has {len(ei)}"
    # Within one time step the order of indices is Brian's ascending order; compare sorted pairs.
    g = np.lexsort((gi, np.round(gt, 12)))
    e = np.lexsort((ei, np.round(et, 12)))
    np.testing.assert_array_equal(gi[g], ei[e], err_msg=f"{monitor}: spike indices differ")
    np.testing.assert_allclose(gt[g], et[e], rtol=0, atol=1e-12,
                               err_msg=f"{monitor}: spike times differ")
