"""Skip summed-variable updates whose inputs have not changed since they last ran.

A summed variable overwrites its whole target range with a function of the arrays it reads.
When none of those arrays was written since the last evaluation, running it again stores the
same values, so it can be skipped. In the Fig. 6 neuron–astrocyte network the astrocyte →
synapse ``G_A`` sum runs on the synapses' 0.1 ms clock, but its inputs change only on the
astrocytes' 10 ms clock: 99 of 100 evaluations reproduce the stored values.

The analysis is static and conservative: a block counts as writing an array when it stores
into it or passes it whole to a function; every evaluation of a writer marks the sums that
read the array as dirty; a sum that reads time, random numbers or its own target, writes
anything besides its target, or whose target another block writes, is never skipped. Every
chunk starts dirty, so changes made from Python between chunks are seen.
"""
import re

from . import names
from .codegen import IDENTIFIER, indent_lines, uses_random
from .specialize import _ASSIGN, _subscripts

__all__ = ["skip_unchanged_sums"]


def _accesses(text, arrays):
    """``(read, written)`` kernel arrays of one block's text."""
    used = set(IDENTIFIER.findall(text)) & arrays
    written = set()
    for name in used:
        if any(span is not None and _ASSIGN.match(text, span[1])
               for span in _subscripts(text, name)):
            written.add(name)
        # passed whole to a function, or any attribute but ``.shape``: may be written
        elif re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w\[]|\.shape\b)", text):
            written.add(name)
    return used, written


def _reads_own_clock(text, k):
    """Whether block ``k`` uses its time or time step beyond the prefix defining them."""
    return any(len(re.findall(rf"\b{names.block_local(name, k)}\b", text)) > 1
               for name in (names.CLOCK_T, names.CLOCK_TIMESTEP))


def skip_unchanged_sums(calls, summed_targets, arrays, private=frozenset()):
    """Guard summed-variable blocks by dirty flags.

    Parameters
    ----------
    calls : list of (int, str)
        ``(clock index, block text)`` of the fused loop, in schedule order.
    summed_targets : dict
        Block index of each summed variable -> name of its target array.
    arrays : set of str
        Names of all kernel arrays.
    private : set of str
        Scratch arrays that one block fills before it reads them (hoisted temporaries): neither
        inputs nor outputs of anything else.

    Returns
    -------
    calls : list of (int, str)
        The blocks, skippable sums wrapped in ``if _dirtyK:`` and their inputs' writers
        setting the flag.
    flags : list of str
        Flag names, to be set true at the start of every copy's chunk.
    """
    access = [_accesses(text, set(arrays) - set(private)) for _, text in calls]
    written_anywhere = set().union(*(w for _, w in access)) if access else set()
    texts = [text for _, text in calls]
    flags = []
    for k, target in sorted(summed_targets.items()):
        text = calls[k][1]
        if uses_random(text) or _reads_own_clock(text, k):
            continue
        used, written = access[k]
        if written != {target}:
            continue
        stores = list(_subscripts(text, target))
        if any(span is None or not _ASSIGN.match(text, span[1]) for span in stores):
            continue  # the sum reads its own target
        if any(target in access[j][1] for j in range(len(calls)) if j != k):
            continue
        inputs = (used - {target}) & written_anywhere
        flag = names.reserved(f"dirty{k}")
        flags.append(flag)
        texts[k] = f"if {flag}:\n    {flag} = False\n" + indent_lines(texts[k], 1)
        for j in range(len(calls)):
            if j != k and access[j][1] & inputs:
                texts[j] = f"{texts[j]}\n{flag} = True"
    return [(clock, text) for (clock, _), text in zip(calls, texts)], flags
