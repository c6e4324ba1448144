"""Skip summed-variable updates whose inputs have not changed since they last ran.

A summed variable overwrites its whole target range with a function of the arrays it reads.
When none of those arrays was written since the last evaluation, running it again stores the
same values, so it can be skipped. In the Fig. 6 neuron–astrocyte network the astrocyte →
synapse ``G_A`` sum runs on the synapses' 0.1 ms clock, but its inputs change only on the
astrocytes' 10 ms clock: 99 of 100 evaluations reproduce the stored values.

The decision is made on the blocks' records (``ir.Block``), not on kernel text, and is
conservative: a block counts as writing an array when it stores into it (its code or its
template) or passes it whole to a function; every evaluation of a writer marks the sums that
read the array as dirty; a sum that reads time, random numbers or its own target, writes
anything besides its target, or whose target another block writes, is never skipped; a block
without a record turns the pass off. Every chunk starts dirty, so changes made from Python
between chunks are seen.
"""
from . import names
from .codegen import indent_lines

__all__ = ["skippable_sums", "run"]


def _written(block):
    return block.writes | block.passed_whole


def skippable_sums(blocks):
    """``{sum index: [indices of the blocks writing its inputs]}`` of the sums that may skip.

    ``blocks`` are the records of the fused loop in schedule order (``None`` for a block
    without one, which makes nothing skippable).
    """
    if any(b is None for b in blocks):
        return {}
    written = [_written(b) for b in blocks]
    out = {}
    for k, block in enumerate(blocks):
        target = block.target
        if target is None or block.uses_random or block.uses_time:
            continue
        if written[k] != {target} or target in block.reads:
            continue
        if any(target in w for j, w in enumerate(written) if j != k):
            continue
        inputs = block.reads - {target}
        out[k] = [j for j, w in enumerate(written) if j != k and w & inputs]
    return out


def flag_name(k):
    """The dirty flag of the sum in block ``k``."""
    return names.reserved(f"dirty{k}")


def run(draft, options, facts):
    """Guard each skippable sum by a dirty flag its inputs' writers set (a ``passes`` pass)."""
    plan = skippable_sums(draft.blocks)
    for k, writers in sorted(plan.items()):
        flag = flag_name(k)
        draft.per_copy.append(f"{flag} = True")
        draft.texts[k] = f"if {flag}:\n    {flag} = False\n" + indent_lines(draft.texts[k], 1)
        for j in writers:
            draft.texts[j] = f"{draft.texts[j]}\n{flag} = True"
    facts["skipped_sums"] = len(plan)
