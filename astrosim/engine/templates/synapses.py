"""``synapses`` (with ``synapses_push_spikes``): push this step's events into the pathway's
spike-history ring, then deliver due spikes in Brian2's order (oldest push first, then
source neuron, then synapse id) and run the pathway code per synapse."""
from ..codegen import indent_lines as _indent


def _body(table, block):
    head, vc, ctx = block.head, block.vector_code, block.context
    q = ctx["queue"]  # prefix of queue arrays
    es = table.array(ctx["eventspace"])
    for suffix, batched in (("ptr", False), ("syn", False), ("hist", True), ("cnt", True),
                            ("info", False)):
        table.buffer(f"{q}_{suffix}", batched=batched, kind="queue")
    return "\n".join([
        head,
        f"$D1 = {q}_hist.shape[1]",
        "$slot = $timestep % $D1",
        f"$src_start = {q}_info[2]", f"$src_stop = {q}_info[3]", "$n = 0",
        f"for $k in $range({es}[$b, {es}.shape[1] - 1]):",
        f"    $nid = {es}[$b, $k]",
        "    if $nid >= $src_start and $nid < $src_stop:",
        f"        {q}_hist[$b, $slot, $n] = $nid - $src_start", "        $n += 1",
        f"{q}_cnt[$b, $slot] = $n",
        f"for $d in $range({q}_info[1], {q}_info[0] - 1, -1):",
        "    $sl = ($timestep - $d) % $D1",
        f"    for $k in $range({q}_cnt[$b, $sl]):",
        f"        $p = {q}_hist[$b, $sl, $k] * $D1 + $d",
        f"        for $qq in $range({q}_ptr[$p], {q}_ptr[$p + 1]):",
        f"            _idx = {q}_syn[$qq]", "            _vectorisation_idx = _idx",
        _indent(vc, 3),
    ])


def render(table, block):
    """Kernel text of one ``synapses`` block; no extra constants."""
    return _body(table, block), []
