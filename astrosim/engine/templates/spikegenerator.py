"""``spikegenerator``: the events of this time bin (with periods), as Brian2's template."""
from brian2.core.variables import Constant

from ..codegen import is_batched


def writes(variables, kwds):
    """What the template stores into (``ir.Block.writes``): this step's events, its position."""
    return [variables["_spikespace"], variables["_lastindex"]]


def _body(table, block):
    co = block.codeobj
    v = co.variables
    es = table.array(v["_spikespace"])
    li = table.acc(v["_lastindex"], 0)
    tb = table.array(v["_timebins"])
    ni = table.array(v["neuron_index"])
    pb = v["_period_bins"]
    period = "_period_bins" if isinstance(pb, Constant) else table.acc(pb, 0)
    tb_acc = table.acc(v["_timebins"], "_idx")
    ni_acc = table.acc(v["neuron_index"], "_idx")
    tb_last = table.acc(v["_timebins"], f"{li} - 1")
    ntb = f"{tb}.shape[{1 if is_batched(v['_timebins']) else 0}]"
    _ = ni
    return "\n".join([
        f"N = {table.n_of(co)}", f"$period = {period}", "$timebin = $timestep",
        "if $period > 0:", "    $timebin %= $period",
        f"    if {li} > 0 and {tb_last} >= $timebin:", f"        {li} = 0",
        "$n = 0", f"for _idx in $range({li}, {ntb}):",
        f"    if {tb_acc} > $timebin:", "        break",
        f"    {es}[$b, $n] = {ni_acc}", "    $n += 1",
        f"{es}[$b, N] = $n", f"{li} += $n",
    ])


def render(table, block):
    """Kernel text of one ``spikegenerator`` block; no extra constants."""
    return _body(table, block), []
