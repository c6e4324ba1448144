"""User entry points: ``run`` (magic network), ``run_script`` and the Brian2 device redirect."""
import os
import runpy
import sys
import warnings

import numpy as np
from brian2 import prefs
from brian2.core.magic import magic_network
from brian2.core.namespace import get_local_namespace
from brian2.synapses.synapses import Synapses
from brian2.devices.device import RuntimeDevice, all_devices, runtime_device
from brian2.units.allunits import second

from .connect import (NumbaConnectCodeObject, connect_supported, equality_generator,
                      equality_pairs, restore_source_order)
from .codegen import SetupCodeObject
from .errors import TargetIgnoredWarning, UnsupportedFeatureError
from .options import resolve
from .simulator import Simulator

__all__ = ["run", "run_script", "AstrosimDevice", "simulator_for"]


def simulator_for(net, seed=None, listeners=None, options=None):
    """The Simulator attached to ``net`` (created on first use, kept across runs)."""
    sim = getattr(net, "_astrosim_simulator", None)
    if sim is None:
        sim = Simulator(net, seed=seed, options=options)
        net._astrosim_simulator = sim
    else:
        if seed is not None:
            sim.seed = int(seed)
            sim._rng = None
        if options is not None:
            sim.options = options
    return sim


def run(duration, report=None, *, seed=None, namespace=None, level=0, listeners=(),
        report_period=10 * second, profile=False, options=None):
    """Run the objects visible to the caller, like ``brian2.run``, with the compiled engine.

    Parameters
    ----------
    duration : Quantity
        Simulated time.
    report : None, 'text', 'stdout', 'stderr' or callable
        Progress reporting as in Brian2.
    seed : int, optional
        Seed for the engine's random streams (default: drawn from numpy's global RNG).
    namespace : dict, optional
        Names used in equations; default: the caller's locals and globals.
    level : int
        Extra stack frames between the caller and this function.
    listeners : sequence
        Chunk listeners (``on_run_start``, ``on_chunk``, ``on_run_end``).
    profile : bool
        Measure the CPU time of each code object (``profiling_summary()`` then works).
    options : EngineOptions, optional
        Engine settings for this network's simulator.

    Returns
    -------
    Simulator
        The simulator (``.timings`` has prepare/compile/run seconds).
    """
    magic_network._update_magic_objects(level=level + 1)
    if namespace is None:
        namespace = get_local_namespace(level=level + 1)
    sim = simulator_for(magic_network, seed, options=options)
    sim.run(duration, namespace=namespace, report=report, listeners=listeners,
            report_period=report_period, profile=profile)
    return sim


_BRIAN2_CONNECT = Synapses.connect.original_function  # the body behind the device hook



def _candidate_pairs(synapses):
    try:
        return len(synapses.source) * len(synapses.target)
    except TypeError:
        return 0


class AstrosimDevice(RuntimeDevice):
    """A Brian2 device whose ``network_run`` hands the network to astrosim.

    Registered as ``'astrosim'``; ``run_script`` also installs it in place of
    ``'cpp_standalone'`` so standalone scripts run unchanged. ``options`` (an
    ``EngineOptions``) apply to its compiled ``connect`` and to the simulators of the
    networks it runs; ``connect`` calls over fewer than ``compiled_connect_min_pairs``
    (source, target) pairs keep Brian2's numpy path, quicker than compiling a kernel for
    them (e.g. 0.4 s for COBA's 16 M pairs).
    """

    def __init__(self, options=None):
        super().__init__()
        self.options = resolve(options)
        #: the set-up target ``run_script`` selected (``None`` outside ``run_script``)
        self.script_target = None
        self._warned_target = False
        self.arrays = runtime_device.arrays
        self.astrosim_seed = None
        self.astrosim_listeners = ()
        self._n_networks = 0

    def activate(self, build_on_run=True, **kwargs):
        super().activate(build_on_run=build_on_run)

    def code_object(self, owner, name, abstract_code, variables, template_name,
                    variable_indices, codeobj_class=None, template_kwds=None,
                    override_conditional_write=None, compiler_kwds=None):
        """Synapse creation (``connect``) compiled with numba; everything else as in runtime."""
        if template_name == "synapses_create_generator" and connect_supported(template_kwds or {}) \
                and _candidate_pairs(owner) >= self.options.compiled_connect_min_pairs:
            try:
                return super().code_object(
                    owner, name, abstract_code, variables, template_name, variable_indices,
                    codeobj_class=NumbaConnectCodeObject, template_kwds=template_kwds,
                    override_conditional_write=override_conditional_write,
                    compiler_kwds=compiler_kwds)
            except UnsupportedFeatureError:
                pass  # e.g. a user function in the condition: Brian2's own path below
        return super().code_object(
            owner, name, abstract_code, variables, template_name, variable_indices,
            codeobj_class=codeobj_class, template_kwds=template_kwds,
            override_conditional_write=override_conditional_write, compiler_kwds=compiler_kwds)

    def synapses_connect(self, synapses, condition=None, i=None, j=None, p=1.0, n=1,
                         skip_if_invalid=False, namespace=None, level=0):
        """``Synapses.connect``; equality conditions need no search over all pairs.

        ``'X_pre == j'`` and ``'i == X_post'`` (an integer variable ``X``, or the other index)
        give one candidate partner per source or target: with ``n=1`` the pairs are computed in
        one vectorised step and created from arrays; otherwise they run as the generator
        ``j='X_pre'`` / ``i='X_post'`` (then re-sorted by source). Either way the synapses and
        their order are Brian2's.
        """
        if namespace is None:
            namespace = get_local_namespace(level=level + 2)
        if i is None and j is None and isinstance(p, (int, float)) and p == 1:
            for result in ("j", "i"):
                generator = equality_generator(condition, synapses, result)
                if generator is None:
                    continue
                if isinstance(n, (int, np.integer)) and n == 1:
                    sources, targets = equality_pairs(synapses, generator, result)
                    if len(sources):
                        return _BRIAN2_CONNECT(synapses, i=sources, j=targets,
                                               namespace=namespace, level=level)
                old = len(synapses)
                _BRIAN2_CONNECT(synapses, n=n, skip_if_invalid=True, namespace=namespace,
                                level=level, **{result: generator})
                if result == "i":
                    restore_source_order(synapses, old)
                return None
        return _BRIAN2_CONNECT(synapses, condition=condition, i=i, j=j, p=p, n=n,
                               skip_if_invalid=skip_if_invalid, namespace=namespace, level=level)

    def network_run(self, net, duration, report=None, report_period=10 * second,
                    namespace=None, profile=None, level=0):
        if profile is None:
            profile = getattr(self, "build_options", {}).get("profile", False)
        if namespace is None:
            namespace = get_local_namespace(level=level + 2)
        self._warn_if_target_chosen()
        seed = None
        if getattr(net, "_astrosim_simulator", None) is None and self.astrosim_seed is not None:
            seed = self.astrosim_seed + self._n_networks
            self._n_networks += 1
        sim = simulator_for(net, seed, options=self.options)
        sim.run(duration, namespace=namespace, report=report, report_period=report_period,
                listeners=self.astrosim_listeners, profile=bool(profile))

    def _warn_if_target_chosen(self):
        target = prefs.codegen.target
        if self.script_target is None or target == self.script_target or self._warned_target:
            return
        self._warned_target = True
        name = target if isinstance(target, str) else getattr(target, "class_name", target)
        warnings.warn(
            f"the script sets prefs.codegen.target = {name!r}, but astrosim runs its networks "
            "in its own compiled code with its own random streams (not numpy's): results the "
            "script compares against numpy's random stream (numpy.random, Brian2's numpy "
            "target) will not match. Run such a script with Brian2 itself.",
            TargetIgnoredWarning, stacklevel=4)

    def build(self, *args, **kwds):
        """Runs already happened eagerly; nothing to build."""

    def delete(self, *args, **kwds):
        """Nothing on disk to delete."""

    def insert_code(self, *args, **kwds):
        """Standalone code insertion has no meaning here; ignored."""

    def run(self, *args, **kwds):
        from .errors import UnsupportedFeatureError

        raise UnsupportedFeatureError(
            "device", "device.build(run=False) followed by device.run(run_args=...) "
            "(standalone record-and-replay)")

    def apply_run_args(self, *args, **kwds):
        from .errors import UnsupportedFeatureError

        raise UnsupportedFeatureError("device", "device.apply_run_args (standalone run_args)")


_device = AstrosimDevice()
all_devices["astrosim"] = _device


def run_script(path, *, seed=None, listeners=(), options=None):
    """Execute an unmodified Brian2 script with astrosim as its back end.

    ``brian2.run``/``Network.run`` and ``set_device('cpp_standalone', ...)`` are redirected
    to astrosim; matplotlib uses the non-interactive Agg backend.

    Returns
    -------
    dict
        The script's global namespace after it ran.
    """
    from brian2.devices.device import reset_device, set_device

    devmod = sys.modules["brian2.devices.device"]
    os.environ["MPLBACKEND"] = "Agg"
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
    except ImportError:  # pragma: no cover
        pass
    dev = AstrosimDevice(options)
    dev.astrosim_seed = seed
    dev.astrosim_listeners = tuple(listeners)
    saved = {k: all_devices.get(k) for k in ("cpp_standalone", "astrosim")}
    all_devices["cpp_standalone"] = dev
    all_devices["astrosim"] = dev
    old_target = prefs.codegen.target
    # numpy for the script's set-up code, under a name of its own: a script that sets the
    # target itself is then noticed (and warned about) at its first run
    prefs.codegen.target = dev.script_target = SetupCodeObject.class_name
    if seed is not None:
        np.random.seed(seed)
    script_dir = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, script_dir)
    try:
        set_device(dev)
        return runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.path.remove(script_dir)
        for k, v in saved.items():
            if v is None:
                all_devices.pop(k, None)
            else:
                all_devices[k] = v
        devmod.previous_devices.clear()
        reset_device("runtime")
        prefs.codegen.target = old_target
