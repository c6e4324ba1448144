"""What a sweep runs: a protocol (``astrosim.protocols``) or a user's own Brian2 build function.

A runner validates points in the client (so bad names and values stop the sweep before anything
starts) and runs a chunk of points on a worker. Runners are pickled to the workers: they hold
names and values, not Brian2 objects.
"""
import inspect
from dataclasses import dataclass, field

import numpy as np

from .grid import SweepInputError

__all__ = ["Model", "ProtocolRunner", "ModelRunner", "STREAM_WINDOW"]

#: Streams reserved for each point of a protocol that runs one point at a time (its own batch copies).
STREAM_WINDOW = 1 << 20


@dataclass
class Model:
    """A network built by a user's build function for one chunk of grid points.

    Parameters
    ----------
    objects : list
        The Brian2 objects to run (groups, synapses, monitors ...).
    per_copy : dict
        ``{parameter: [(obj, variable), ...]}``: grid parameters that differ between the batch
        copies of one run, and the namespace constants or state variables that take their
        value (``Simulator.set_batch_values``). An empty list marks a trial axis (only the
        random stream differs). Grid parameters not listed here are structural: the build
        function is called once per distinct value and its points run in separate chunks.
    measure : callable
        ``measure(sim) -> {name: array}`` with one row per batch copy (leading axis), computed
        from ``sim.monitor_data(...)`` / ``sim.get_states(...)``.
    """

    objects: list
    per_copy: dict = field(default_factory=dict)
    measure: object = None


def _seed_build(seed):
    """Seed numpy and Brian2 for a build, after releasing the networks of earlier chunks."""
    import gc

    import brian2

    _release_previous_networks()
    gc.collect()
    np.random.seed(seed)
    brian2.seed(seed)


def _release_previous_networks():
    """Let the Brian2 objects of earlier chunks go, so that a new build gets the same object names.

    Engines up to the restructuring kept every captured code object in a class-level registry
    (kept alive, their groups keep their names: ``an_synapses_1``, ``_2`` ...), and some generated
    kernels name objects (specialised uniform arrays), so new names meant a new compilation for
    every chunk. Without a registry this does nothing.
    """
    try:
        from astrosim.engine.codegen import NumbaCodeObject
    except ImportError:  # pragma: no cover - engine restructured
        return
    registry = getattr(NumbaCodeObject, "registry", None)
    if isinstance(registry, dict):
        registry.clear()


class ProtocolRunner:
    """Runs ``astrosim.protocols.<name>`` at each point, with ``fixed`` (``--set``) values.

    A protocol that defines ``run_batch(param_sets, seed=...)``, ``copies(params)`` and
    ``BATCH_PARAMETERS`` runs a chunk as one batched engine run (points grouped by the values of the
    other parameters, and by ``structure(params)`` where the protocol defines it); any other protocol
    runs its points one after the other in the task (kernels are still compiled once per worker).
    """

    kind = "protocol"

    def __init__(self, name, fixed=None):
        from astrosim.protocols import get

        try:
            self.module = get(name)
        except KeyError as err:
            raise SweepInputError(err.args[0]) from None
        self.name = name
        self.fixed = dict(fixed or {})

    def __getstate__(self):
        return {"name": self.name, "fixed": self.fixed}

    def __setstate__(self, state):
        self.__init__(state["name"], state["fixed"])

    @property
    def label(self):
        return f"protocol {self.name}"

    def parameter_names(self):
        return [p.name for p in self.module.PARAMETERS]

    @property
    def batched(self):
        """True when a chunk is one batched engine run."""
        return hasattr(self.module, "run_batch")

    def structural(self, axes):
        """Grid axes whose points cannot share a chunk's network (one group per distinct value)."""
        if not self.batched:
            return []
        return [a.name for a in axes if a.name not in self.module.BATCH_PARAMETERS]

    def structure_of(self, params):
        """What else must agree for points to share a batched run (the protocol's ``structure(params)``)."""
        hook = getattr(self.module, "structure", None) if self.batched else None
        return tuple(repr(v) for v in hook(params)) if hook is not None else ()

    def resolve(self, point):
        """Full parameter values at ``point`` (validated: names, units, ranges)."""
        from astrosim.protocols._base import ProtocolParameterError, resolve

        try:
            params = resolve(self.module.PARAMETERS, {**self.fixed, **point}, self.name)
        except ProtocolParameterError as err:
            raise SweepInputError(str(err)) from None
        if hasattr(self.module, "validate"):  # values that do not fit together (e.g. a window after the end)
            try:
                self.module.validate(params)
            except ValueError as err:
                raise SweepInputError(f"{err} (at {point})") from None
        if params.get("engine", "astrosim") != "astrosim":
            raise SweepInputError(f"{self.name}: a sweep runs on the astrosim engine; drop engine={params['engine']}")
        return params

    def check(self, axes):
        """Refuse unknown names and names given both as grid axes and fixed values."""
        known = set(self.parameter_names())
        for name in [a.name for a in axes] + list(self.fixed):
            if name not in known:
                raise SweepInputError(f"{self.name}: unknown parameter {name!r}; known parameters: "
                                      f"{', '.join(sorted(known))}")
        both = sorted({a.name for a in axes} & set(self.fixed))
        if both:
            raise SweepInputError(f"{self.name}: {', '.join(both)} given both as a grid axis and a fixed value")

    def copies(self, params):
        """Stream numbers one point takes."""
        return int(self.module.copies(params)) if self.batched else STREAM_WINDOW

    def describe(self):
        batch = list(self.module.BATCH_PARAMETERS) if self.batched else None  # the streams depend on it
        return {"kind": self.kind, "protocol": self.name, "fixed": {k: str(v) for k, v in self.fixed.items()},
                "batch_parameters": batch}

    def run_chunk(self, points, seeds, build_seeds):
        """Results (one dict per point) of ``points`` (grid values) with their seeds."""
        from brian2 import prefs

        prefs.codegen.target = "numpy"  # Brian2's own set-up code; the run itself is compiled by astrosim
        params = [self.resolve(p) for p in points]
        if self.batched:
            _seed_build(build_seeds[0])
            return self.module.run_batch(params, seed=seeds[0])
        out = []
        for p, seed, build in zip(params, seeds, build_seeds):
            _seed_build(build)
            out.append(self.module.run(p, seed=seed)["summary"])
        return out


class ModelRunner:
    """Runs ``build(**params)`` (a :class:`Model`) for ``duration`` over chunks of points."""

    kind = "model"

    def __init__(self, build, duration, fixed=None):
        if not callable(build):
            raise SweepInputError(f"sweep: {build!r} is neither a protocol name nor a build function")
        self.build, self.duration, self.fixed = build, duration, dict(fixed or {})
        self._per_copy = None
        if duration is None:
            raise SweepInputError(f"sweep over {self.label}: give duration=... (simulated time per point)")

    @property
    def label(self):
        return f"build function {getattr(self.build, '__qualname__', repr(self.build))}"

    def parameter_names(self):
        return list(inspect.signature(self.build).parameters)

    def check(self, axes):
        """Grid and fixed names against the build function's signature; learns the per-copy axes."""
        sig = inspect.signature(self.build)
        takes_any = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
        given = [a.name for a in axes] + list(self.fixed)
        both = sorted({a.name for a in axes} & set(self.fixed))
        if both:
            raise SweepInputError(f"{self.label}: {', '.join(both)} given both as a grid axis and a fixed value")
        if not takes_any:
            unknown = [n for n in given if n not in sig.parameters]
            if unknown:
                raise SweepInputError(f"{self.label}: unknown parameter {unknown[0]!r}; it takes "
                                      f"{', '.join(sig.parameters) or 'no parameters'}")
        missing = [n for n, p in sig.parameters.items()
                   if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in given]
        if missing:
            raise SweepInputError(f"{self.label}: no value for parameter {missing[0]!r} (give it as a grid axis or "
                                  f"a fixed value)")
        # build once here: its per_copy names decide the chunking, and a broken build fails early
        import brian2

        brian2.start_scope()
        model = self._build({**self.fixed, **{a.name: a.values[0] for a in axes}})
        grid = {a.name for a in axes}
        for name in model.per_copy:
            if name not in grid:
                raise SweepInputError(f"{self.label}: per_copy names {name!r}, which is not a grid axis "
                                      f"({', '.join(sorted(grid)) or 'none'})")
        self._per_copy = tuple(model.per_copy)
        import gc

        from brian2.utils.logger import catch_logs

        with catch_logs():  # the trial build is never run: no 'never included in a network' warning
            del model
            gc.collect()
        brian2.start_scope()

    def _build(self, params):
        model = self.build(**params)
        if not isinstance(model, Model):
            raise SweepInputError(f"{self.label} must return astrosim.sweep.Model(objects, per_copy, measure), "
                                  f"got {type(model).__name__}")
        if not callable(model.measure):
            raise SweepInputError(f"{self.label}: the Model needs measure=callable(sim) -> {{name: per-copy array}}")
        return model

    batched = True

    def structural(self, axes):
        return [a.name for a in axes if a.name not in (self._per_copy or ())]

    def resolve(self, point):
        return {**self.fixed, **point}

    def copies(self, params):
        return 1

    def describe(self):
        return {"kind": self.kind, "build": f"{getattr(self.build, '__module__', '?')}."
                                             f"{getattr(self.build, '__qualname__', repr(self.build))}",
                "duration": str(self.duration), "fixed": {k: str(v) for k, v in self.fixed.items()}}

    def run_chunk(self, points, seeds, build_seeds):
        import brian2
        from brian2 import Network, Quantity

        import astrosim

        brian2.start_scope()
        brian2.prefs.codegen.target = "numpy"
        _seed_build(build_seeds[0])
        model = self._build(self.resolve(points[0]))
        batch = len(points)
        sim = astrosim.Simulator(Network(*model.objects), batch=batch, seed=seeds[0])
        for name, targets in model.per_copy.items():
            values = [p[name] for p in points]
            column = Quantity(values) if isinstance(values[0], Quantity) else np.asarray(values, dtype=float)
            for obj, var in targets:
                sim.set_batch_values(obj, var, column)
        sim.run(self.duration)
        measured = model.measure(sim)
        if not isinstance(measured, dict):
            raise SweepInputError(f"{self.label}: measure(sim) must return a dict, got {type(measured).__name__}")
        out = [{} for _ in points]
        for name, rows in measured.items():
            if len(rows) != batch:
                raise SweepInputError(f"{self.label}: measure result {name!r} has {len(rows)} rows for {batch} copies")
            for i in range(batch):
                out[i][name] = rows[i]
        return out
