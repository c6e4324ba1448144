"""One module per Brian2 template; ``TEMPLATES`` is the contract between capture and rendering.

Each module has ``render(table, block) -> (body, extra_constants)``: the kernel text of one
captured code object (a :class:`astrosim.engine.ir.Block`) following the loop semantics of
Brian2's template of that name, with the engine's names written as ``$name``
(:func:`astrosim.engine.names.expand`), and ``(name, value)`` constants the block needs bound.
``table`` (the :class:`~astrosim.engine.render.ModuleBuilder`) owns the kernel's arrays:
``table.array(var)`` and ``table.acc(var, index)`` for Brian2 variables, ``table.buffer(name)``
for engine buffers, ``table.const(value)`` for run-time constants. A template that is not in
this table is refused before the run, naming the object.

A template that stores into Brian2 arrays on its own (not through Brian2's code) declares them
in ``TEMPLATE_WRITES``: ``writes(variables, kwds)`` returns those variables. They become part of
the block's record (``ir.Block.writes``), which is all the passes know about what a block
changes; an undeclared store would let a pass skip or freeze what it changes.
"""
from . import (ratemonitor, reset, spikegenerator, spikemonitor, statemonitor, stateupdate,
               summed_variable, synapses, threshold)

__all__ = ["TEMPLATES", "CAPTURED_ONLY", "TEMPLATE_WRITES"]

TEMPLATES = {
    "stateupdate": stateupdate.render,
    "threshold": threshold.render,
    "reset": reset.render,
    "synapses": synapses.render,
    "summed_variable": summed_variable.render,
    "spikegenerator": spikegenerator.render,
    "spikemonitor": spikemonitor.render,
    "statemonitor": statemonitor.render,
    "ratemonitor": ratemonitor.render,
}

#: Brian2 variables a template stores into itself, beyond the stores of Brian2's code
TEMPLATE_WRITES = {
    "threshold": threshold.writes,
    "spikegenerator": spikegenerator.writes,
    "spikemonitor": spikemonitor.writes,
    "summed_variable": summed_variable.writes,
}

#: templates whose work another one does (the pathway's push happens in ``synapses``)
CAPTURED_ONLY = {"synapses_push_spikes"}
