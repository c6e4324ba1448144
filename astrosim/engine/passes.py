"""The kernel passes: one interface, one list, one order.

A pass is a function ``run(draft, options, facts)``. ``draft`` (a :class:`Draft`) holds the
blocks of the fused loop in schedule order: their records (``ir.Block``: what each reads and
writes, whether it draws random numbers or reads the time, a sum's target; computed once by
``ir.make_block``) and their rendered texts (inlined, locals renamed). A pass decides from the
records, never by reading arrays back out of the text; it applies its decision by rewriting
the texts of the blocks concerned, and may add lines run once per chunk (``setup``) or at the
start of each copy's chunk (``per_copy``). It reports what it did in ``facts`` (which become
``Simulator.kernel_facts``), so tests check behaviour and counts, not generated text.

``PASSES`` is the order: ``skip_sums`` (guards sums by dirty flags), ``lazy_linear`` (linear
variables advanced in closed form where read; it needs the skip flags and must come before
``specialize``, whose scalars it does not parse), ``specialize`` (uniform read-only arrays as
scalars), ``cse`` (common sub-expressions, per block). Each is switched by the
``EngineOptions`` field of the same name; all are bit-identical (results with a pass off equal
those with it on) except ``lazy_linear``, which equals step-by-step integration up to rounding. Two other rewrites are not in the list because they are not
kernel-wide: hoisting (``hoist``) works on one block's vector code while its template renders
it, and outlining (``outline``) is how the numba CPU back end compiles threaded loops.
"""
from dataclasses import dataclass, field

from . import cse, lazy_linear, skip, specialize

__all__ = ["Draft", "PASSES", "run_passes", "initial_facts"]


@dataclass
class Draft:
    """The fused loop's blocks between rendering and assembly."""

    blocks: list                  #: ``ir.Block`` per block (``None``: unknown, conservative)
    texts: list                   #: rendered text per block, same order
    values: dict = None           #: the run's arrays by kernel name (``None``: not known)
    const: object = None          #: ``const(value)`` -> kernel expression of a run-time scalar
    setup: list = field(default_factory=list)     #: lines before the loop over copies
    per_copy: list = field(default_factory=list)  #: lines at the start of each copy's chunk
    epilogue: list = field(default_factory=list)  #: lines at the end of each copy's chunk
    functions: list = field(default_factory=list)  #: module-level functions the texts call
    lazy: object = None           #: ``lazy_linear.LazyLinear`` observations (``None``: off)


#: (EngineOptions switch, pass) in the order they run
PASSES = (
    ("skip_sums", skip.run),
    ("lazy_linear", lazy_linear.run),
    ("specialize", specialize.run),
    ("cse", cse.run),
)


def initial_facts():
    """What the passes report when they are off (or find nothing)."""
    return {"skipped_sums": 0, "lazy_linear": [], "scalar_arrays": [], "cse_temporaries": 0}


def run_passes(draft, options, facts):
    """Run every switched-on pass of ``PASSES`` over ``draft``, in order; returns ``draft``."""
    if len(draft.blocks) != len(draft.texts):
        raise RuntimeError("internal error: kernel blocks and their records are not aligned")
    for switch, run in PASSES:
        if getattr(options, switch):
            run(draft, options, facts)
    return draft
