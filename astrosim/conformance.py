"""Run Brian2's own test suite against astrosim (or a stand-in) and classify every outcome.

Route: astrosim registers a Brian2 device ``'astrosim'`` whose ``network_run`` hands each
network to the compiled engine. ``brian2.test(test_standalone=<device>)`` then runs Brian2's
standalone-compatible tests (single-run, then multiple-run) with that device active, while
set-up code (``connect``, string assignments) uses Brian2's numpy target. This module also acts
as a pytest plugin (loaded with ``-p astrosim.conformance``) that records each test's outcome and
marks as *refused* every failure raised as astrosim's ``UnsupportedFeatureError`` (directly or
as the cause of a Brian2 wrapper exception). No Brian2 test is modified or skipped; a subset is
chosen only by pytest's ordinary deselection.
"""
import time
from dataclasses import dataclass, field

import pytest

__all__ = ["ConformanceResult", "run_conformance", "StandInDevice", "CI_SUBSET"]

# Plugin state (the module is imported once; pytest's ``-p`` reuses that module object).
_RECORDS = {}
_ONLY = None
_PROGRESS = None

#: Fixed subset used by the CI test: fast standalone-compatible tests that astrosim passes,
#: covering neuron groups, run_regularly, refractoriness, synapses (delays, summed variables,
#: synapses on synapses), monitors, Poisson input and spike generators.
CI_SUBSET = (
    "test_monitor.py::test_event_monitor",
    "test_monitor.py::test_rate_monitor_1",
    "test_monitor.py::test_spike_monitor",
    "test_monitor.py::test_state_monitor_bigger_dt",
    "test_monitor.py::test_state_monitor_indexing",
    "test_network.py::test_runtime_rounding",
    "test_neurongroup.py::test_linked_var_in_reset",
    "test_neurongroup.py::test_run_regularly_dt",
    "test_neurongroup.py::test_run_regularly_scheduling",
    "test_neurongroup.py::test_semantics_floor_division",
    "test_neurongroup.py::test_sim_with_scalar_variable",
    "test_neurongroup.py::test_stochastic_variable",
    "test_neurongroup.py::test_threshold_reset",
    "test_poissongroup.py::test_propagation",
    "test_poissongroup.py::test_time_dependent_rate",
    "test_poissoninput.py::test_poissoninput",
    "test_poissoninput.py::test_poissoninput_refractory",
    "test_refractory.py::test_refractoriness_basic",
    "test_spikegenerator.py::test_spikegenerator_period",
    "test_spikegenerator.py::test_spikegenerator_change_period",
    "test_subgroup.py::test_state_variables_simple",
    "test_synapses.py::test_incoming_outgoing",
    "test_synapses.py::test_summed_variable",
    "test_synapses.py::test_synapses_to_synapses_statevar_access",
    "test_synapses.py::test_synaptic_equations",
    "test_synapses.py::test_transmission_scalar_delay",
)


@dataclass
class ConformanceResult:
    """Outcome counts and details of one conformance run."""

    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (nodeid, short message)
    refused: list = field(default_factory=list)  # (nodeid, refusal message)
    skipped: list = field(default_factory=list)  # (nodeid, reason) — Brian2's own skips
    seconds: float = 0.0

    @property
    def total(self):
        return len(self.passed) + len(self.failed) + len(self.refused) + len(self.skipped)

    def summary(self):
        """One-line ``passed / refused / failed / skipped`` summary."""
        applicable = len(self.passed) + len(self.failed) + len(self.refused)
        share = 100.0 * len(self.passed) / applicable if applicable else 0.0
        return (f"{len(self.passed)} passed ({share:.1f}% of {applicable} applicable), "
                f"{len(self.refused)} refused with a clear error, {len(self.failed)} failed, "
                f"{len(self.skipped)} skipped by Brian2 itself; {self.seconds:.0f} s")


def _is_refusal(excinfo):
    """True when the exception, or one in its cause/context chain, is UnsupportedFeatureError."""
    try:
        from astrosim.engine.errors import UnsupportedFeatureError
    except ImportError:  # stand-in runs without the engine
        return False, ""
    exc, seen = excinfo.value, set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, UnsupportedFeatureError):
            return True, str(exc)
        exc = exc.__cause__ or exc.__context__
    return False, ""


def _short(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return " ".join(text.split())[:300]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Record each phase's outcome; classify failures raised as UnsupportedFeatureError."""
    outcome = yield
    rep = outcome.get_result()
    rec = _RECORDS.setdefault(item.nodeid, {"status": "passed", "message": "", "seconds": 0.0})
    rec["seconds"] += rep.duration
    if rep.skipped and rec["status"] == "passed":
        rec["status"], rec["message"] = "skipped", _short(rep)
    elif rep.failed and rec["status"] not in ("failed", "refused"):
        refused, msg = _is_refusal(call.excinfo) if call.excinfo is not None else (False, "")
        rec["status"] = "refused" if refused else "failed"
        rec["message"] = f"[{rep.when}] " + (msg if refused else _short(rep))
    if rep.when == "teardown" and _PROGRESS is not None:
        _PROGRESS(item.nodeid, rec)


def pytest_collection_modifyitems(config, items):
    """Keep only the tests named in the selected subset (ordinary pytest deselection)."""
    if _ONLY is None:
        return
    keep, drop = [], []
    for item in items:
        short = item.nodeid.split("brian2/tests/")[-1]
        (keep if short in _ONLY else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _make_stand_in_class():
    from brian2.core.namespace import get_local_namespace
    from brian2.core.network import Network
    from brian2.devices.device import RuntimeDevice, runtime_device
    from brian2.units import second

    class _StandIn(RuntimeDevice):
        """Device whose ``network_run`` delegates to Brian2's own runtime loop (harness check)."""

        def __init__(self):
            super().__init__()
            self.arrays = runtime_device.arrays

        def activate(self, build_on_run=True, **kwargs):
            super().activate(build_on_run=build_on_run)

        def network_run(self, net, duration, report=None, report_period=10 * second,
                        namespace=None, profile=None, level=0):
            if namespace is None:
                namespace = get_local_namespace(level=level + 2)
            Network.run.original_function(net, duration, report=report,
                                          report_period=report_period, namespace=namespace,
                                          profile=profile)

    return _StandIn


def StandInDevice():
    """A Brian2 device running networks with Brian2's own loop; validates the harness itself."""
    return _make_stand_in_class()()


def run_conformance(device="astrosim", only=None, keyword=None, long_tests=False,
                    progress=None, extra_args=()):
    """Run Brian2's standalone-compatible tests with ``device`` and classify the outcomes.

    Parameters
    ----------
    device : {'astrosim', 'standin'}
        ``'astrosim'`` tests the compiled engine; ``'standin'`` runs Brian2's own loop through
        the same device route (checks the harness, not astrosim).
    only : iterable of str, optional
        ``'test_file.py::test_name'`` ids to keep (e.g. :data:`CI_SUBSET`); default: all.
    keyword : str, optional
        A pytest ``-k`` expression narrowing the selection further.
    long_tests : bool
        Include tests Brian2 marks ``long``.
    progress : callable, optional
        ``progress(nodeid, record)`` after each test.
    extra_args : sequence of str
        More pytest arguments.

    Returns
    -------
    ConformanceResult
    """
    global _ONLY, _PROGRESS
    import brian2
    from brian2.devices.device import all_devices

    if device == "astrosim":
        import astrosim.engine  # noqa: F401  (registers the 'astrosim' device)
        name = "astrosim"
    elif device == "standin":
        name = "astrosim_standin"
        all_devices[name] = StandInDevice()
    else:
        raise ValueError(f"run_conformance: unknown device {device!r} (use 'astrosim' or 'standin')")
    if name not in all_devices:
        raise RuntimeError(f"run_conformance: Brian2 device {name!r} is not registered")

    _RECORDS.clear()
    _ONLY = None if only is None else set(only)
    _PROGRESS = progress
    brian2.prefs.codegen.target = "numpy"  # set-up code (connect, string assignments)
    args = ["-p", "astrosim.conformance", "-p", "no:cacheprovider", "-q", "--no-header",
            "-W", "ignore::DeprecationWarning"]
    if keyword:
        args += ["-k", keyword]
    if only is not None:  # do not even collect the files outside the subset
        import os

        tests_dir = os.path.join(os.path.dirname(brian2.__file__), "tests")
        wanted = {nodeid.split("::")[0] for nodeid in only}
        args += [f"--ignore={os.path.join(tests_dir, f)}" for f in sorted(os.listdir(tests_dir))
                 if f.startswith("test_") and f.endswith(".py") and f not in wanted]
    args += list(extra_args)
    start = time.perf_counter()
    try:
        brian2.test([], test_codegen_independent=False, test_standalone=name,
                    reset_preferences=False, long_tests=long_tests, additional_args=args)
    finally:
        _ONLY, _PROGRESS = None, None
    result = ConformanceResult(seconds=time.perf_counter() - start)
    for nodeid, rec in sorted(_RECORDS.items()):
        short = nodeid.split("brian2/tests/")[-1]
        if rec["status"] == "passed":
            result.passed.append(short)
        else:
            getattr(result, rec["status"]).append((short, rec["message"]))
    return result
