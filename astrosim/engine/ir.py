"""The record between capture and rendering: one ``Block`` per captured Brian2 code object.

Computed once, after Brian2's ``before_run``, and read by the templates, the passes and the
simulator, instead of each digging into Brian2's code object again: which template, which
owner and group, which clock, the translated scalar and vector code, the arrays it reads and
writes, and whether it draws random numbers or reads the time.
"""
import re
from dataclasses import dataclass, field

from . import names
from .codegen import IDENTIFIER, block_text, uses_random

__all__ = ["Block", "make_block"]

_ARRAY = re.compile(r"(?<![\w.])(_array_\w+|_dynamic_array_\w+)\b")
_STORE = re.compile(r"^\s*(_array_\w+|_dynamic_array_\w+)\[[^\n]*\]\s*(?:=(?!=)|[-+*/]=)", re.M)


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
    reads: frozenset       #: Brian2 arrays the code reads
    writes: frozenset      #: Brian2 arrays the code stores into
    uses_random: bool
    uses_time: bool
    context: dict = field(default_factory=dict)  #: queue / monitor prefixes from the simulator

    @property
    def head(self):
        """The scalar part, run once per step before the loop."""
        return "_vectorisation_idx = 1\n" + self.scalar_code

    @property
    def variables(self):
        return self.codeobj.variables


def make_block(co, clock_index, group):
    """The :class:`Block` of captured code object ``co``."""
    sc = block_text(co.code["scalar_code"])
    vc = block_text(co.code["vector_code"])
    text = sc + "\n" + vc
    used = set(IDENTIFIER.findall(text))
    return Block(template=co.template_name, owner=co.owner.name, group=group,
                 clock_index=clock_index, scalar_code=sc, vector_code=vc,
                 kwds=co.code["kwds"], codeobj=co,
                 reads=frozenset(_ARRAY.findall(text)), writes=frozenset(_STORE.findall(text)),
                 uses_random=uses_random(text),
                 uses_time=bool(used & {names.CLOCK_T, names.CLOCK_TIMESTEP}),
                 context={"clock_index": clock_index})
