"""The record between capture and rendering: one ``Block`` per captured Brian2 code object.

Computed once, after Brian2's ``before_run``, and read by the templates, the passes and the
simulator, instead of each digging into Brian2's code object (or the rendered kernel text)
again: which template, which owner and group, which clock, the translated scalar and vector
code, the arrays it reads and writes, whether it draws random numbers or reads the time, and
for a summed variable its target.

What the passes rely on (``astrosim.engine.passes``): ``writes`` is every Brian2 array the
rendered block stores into, i.e. the stores of Brian2's code plus those the template makes on
its own (the eventspace of a threshold, ``lastspike``, a summed variable's target, ...; each
template declares them in ``templates.TEMPLATE_WRITES``). ``reads`` is what Brian2's code
reads; ``passed_whole`` the arrays it hands to a function unsubscripted (which might write
them; the generator never emits such a call, so it is empty in practice, but the passes count
it as a write). Arrays are named as in the kernel (``device.get_array_name``).
"""
import re
from dataclasses import dataclass, field

from . import names
from .codegen import IDENTIFIER, block_text, uses_random

__all__ = ["Block", "make_block"]

_ARRAY = re.compile(r"(?<![\w.])(_array_\w+|_dynamic_array_\w+)\b")
_STORE = re.compile(r"^\s*(_array_\w+|_dynamic_array_\w+)\[[^\n]*\]\s*(?:=(?!=)|[-+*/]=)", re.M)
#: an array name neither subscripted nor asked for its shape
_WHOLE = re.compile(r"(?<![\w.])(_array_\w+|_dynamic_array_\w+)\b(?!\s*\[|\.shape\b)")


@dataclass
class Block:
    """One captured code object, as every later stage sees it."""

    template: str
    owner: str             #: name of the Brian2 object running it
    group: str             #: the user-facing group (per-copy parameters apply per group)
    clock_index: int       #: index of its clock in the kernel's clock table
    scalar_code: str
    vector_code: str
    kwds: dict             #: Brian2's template keywords
    codeobj: object        #: the captured code object (its ``variables``)
    reads: frozenset       #: Brian2 arrays its code reads
    writes: frozenset      #: Brian2 arrays the rendered block stores into (code and template)
    uses_random: bool
    uses_time: bool        #: reads ``t`` or ``timestep`` (``dt`` is constant per clock)
    context: dict = field(default_factory=dict)  #: queue / monitor prefixes from the simulator
    target: str = None     #: a summed variable's target array (else ``None``)
    passed_whole: frozenset = frozenset()  #: arrays its code passes whole to a function

    @property
    def head(self):
        """The scalar part, run once per step before the loop."""
        return "_vectorisation_idx = 1\n" + self.scalar_code

    @property
    def variables(self):
        return self.codeobj.variables


def make_block(co, clock_index, group, device=None):
    """The :class:`Block` of captured code object ``co``."""
    from brian2.devices.device import get_device

    from .templates import TEMPLATE_WRITES

    device = device or get_device()
    sc = block_text(co.code["scalar_code"])
    vc = block_text(co.code["vector_code"])
    text = sc + "\n" + vc
    used = set(IDENTIFIER.findall(text))
    kwds = co.code["kwds"]
    declared = TEMPLATE_WRITES.get(co.template_name)
    by_template = {device.get_array_name(var)
                   for var in (declared(co.variables, kwds) if declared else ())}
    target = device.get_array_name(kwds["_target_var"]) \
        if co.template_name == "summed_variable" else None
    return Block(template=co.template_name, owner=co.owner.name, group=group,
                 clock_index=clock_index, scalar_code=sc, vector_code=vc,
                 kwds=kwds, codeobj=co,
                 reads=frozenset(_ARRAY.findall(text)),
                 writes=frozenset(_STORE.findall(text)) | frozenset(by_template),
                 uses_random=uses_random(text),
                 uses_time=bool(used & {names.CLOCK_T, names.CLOCK_TIMESTEP}),
                 context={"clock_index": clock_index}, target=target,
                 passed_whole=frozenset(_WHOLE.findall(text)))
