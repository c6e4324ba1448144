"""Compiled ``Synapses.connect``: Brian2's synapse-creation generator run by numba.

Brian2's numpy target evaluates a connection condition one presynaptic index at a time from
Python; for conditions over large groups (a Synapses object connecting to another Synapses, as
in neuron–glia networks) that takes minutes. Under the ``'astrosim'`` device the same
abstract code (Brian2 parses the condition, the generator syntax, ``p``, ``n`` and checks
units) is translated by the engine's code generator and executed in one compiled loop that
follows the structure of Brian2's own Cython template. Anything outside the supported subset
(a fixed ``sample_size``, user functions, TimedArrays) falls back to Brian2's runtime path
unchanged.
"""
import ast

import numpy as np
from brian2.core.variables import ArrayVariable, Constant, DynamicArrayVariable

from . import names, runtime
from .codegen import IDENTIFIER, NumbaCodeObject, indent_lines, is_batched, rename_identifiers
from .loader import load_module

__all__ = ["NumbaConnectCodeObject", "connect_supported", "equality_generator",
           "equality_pairs", "restore_source_order"]


def connect_supported(template_kwds):
    """Whether the compiled path handles this ``connect`` (range iterators, ``p`` sampling)."""
    func = template_kwds.get("iterator_func")
    if func == "range":
        return True
    return func == "sample" and template_kwds["iterator_kwds"].get("sample_size") == "random"


def equality_generator(condition, synapses, result="j"):
    """The generator replacing an equality condition on the ``result`` index, else ``None``.

    For ``result='j'``: ``'X_pre == j'`` (either side) with an integer presynaptic variable
    ``X``, or ``'j == i'``, gives ``'X_pre'`` / ``'i'``: exactly one candidate target per
    source, so ``connect(j='X_pre', skip_if_invalid=True)`` creates the same synapses in the
    same order while evaluating one pair per source instead of all ``N_pre * N_post``.
    ``result='i'`` is the mirror image (``'i == X_post'``, a postsynaptic integer variable);
    Brian2 then loops over targets, so the caller restores the source-major order
    (:func:`restore_source_order`).
    """
    if not isinstance(condition, str):
        return None
    try:
        tree = ast.parse(condition.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1
            and isinstance(tree.ops[0], ast.Eq)):
        return None
    sides = [tree.left, tree.comparators[0]]
    names = [side.id if isinstance(side, ast.Name) else None for side in sides]
    if names.count(result) != 1 or None in names:
        return None
    other = names[1 - names.index(result)]
    index, suffix, group = ("i", "_pre", synapses.source) if result == "j" else \
        ("j", "_post", synapses.target)
    if other == index:
        return index
    if not other.endswith(suffix):
        return None
    var = group.variables.get(other[:-len(suffix)])
    if var is None or getattr(var, "dtype", None) is None or np.dtype(var.dtype).kind not in "iu" \
            or getattr(var, "scalar", False):
        return None
    return other


def equality_pairs(synapses, generator, result="j"):
    """``(sources, targets)`` that an equality condition connects, in Brian2's order.

    ``generator`` is what :func:`equality_generator` returned for ``result``. Each source
    (``result='j'``) or target (``result='i'``) has one candidate partner, read from the
    integer variable in one vectorised step; partners outside the other group are dropped,
    and pairs come sorted by source (stable), as Brian2 creates them.
    """
    if result == "j":
        group, suffix, own, other = synapses.source, "_pre", "i", len(synapses.target)
    else:
        group, suffix, own, other = synapses.target, "_post", "j", len(synapses.source)
    mine = np.arange(len(group), dtype=np.int64)
    if generator == own:
        partner = mine.copy()
    else:
        partner = np.asarray(getattr(group, generator[:-len(suffix)])[:], dtype=np.int64)
    keep = (partner >= 0) & (partner < other)
    mine, partner = mine[keep], partner[keep]
    if result == "j":
        return mine, partner
    order = np.argsort(partner, kind="stable")
    return partner[order], mine[order]


def restore_source_order(synapses, old):
    """Stable-sort the synapses created since ``old`` by source index, in every array.

    Brian2 creates the synapses of a condition source by source; a generator over targets
    creates them target by target. Sorting the new block by source (stable, so targets stay
    ascending) gives Brian2's order; all per-synapse arrays are permuted together (right after
    creation they hold defaults and the synapse counts, which move with their synapse).
    """
    pre = np.asarray(synapses.variables["_synaptic_pre"].get_value())
    n = len(pre)
    order = np.argsort(pre[old:], kind="stable")
    if np.array_equal(order, np.arange(n - old)):
        return
    seen = set()
    for var in synapses.variables.values():
        if not isinstance(var, DynamicArrayVariable) or getattr(var.owner, "name", None) != \
                synapses.name or var.ndim != 1:
            continue
        values = var.get_value()
        address = values.__array_interface__["data"][0]
        if len(values) != n or address in seen:
            continue
        seen.add(address)
        values[old:] = values[old:][order]


def _source(code):
    """Module source of the compiled generator for one captured connect code object."""
    sc, vc, kw = code["scalar_code"], code["vector_code"], code["kwds"]
    outer, inner = kw["outer_index"], kw["inner_variable"]
    result = kw["result_index"]
    skip = bool(kw["skip_if_invalid"])

    def bounds(code_value):
        action = "continue" if skip else f"$err[0] = {code_value}\n    $err[1] = _{result}\n    break"
        return (f"if _{result} < 0 or _{result} >= {kw['result_index_size']}:\n    {action}")

    body = [vc["generator_expr"],
            f"_raw{kw['result_index_array']} = _{result} + {kw['result_index_offset']}"]
    if kw["result_index_condition"]:
        if kw["result_index_used"]:
            body.append(bounds(1))
        body.append(vc["create_cond"])
    if kw["if_expression"] != "True" and kw["result_index_condition"]:
        body.append("if not _cond:\n    continue")
    if not kw["result_index_used"]:
        body.append(bounds(2))
    body.append(vc["update"])
    body.append("for $repetition in $range(_n):\n"
                "    if $nbuf == $prebuf.shape[0]:\n"
                "        $prebuf = $grow($prebuf)\n"
                "        $postbuf = $grow($postbuf)\n"
                "    $prebuf[$nbuf] = _pre_idx\n    $postbuf[$nbuf] = _post_idx\n    $nbuf += 1")
    body = "\n".join(b for b in body if b)
    if kw["iterator_func"] == "range":
        loop = f"for {inner} in $range(_iter_low, _iter_high, _iter_step):\n{indent_lines(body, 1)}"
    else:  # Bernoulli sampling with probability _iter_p (geometric jumps when p < 0.25)
        loop = (
            "if _iter_p == 0:\n    continue\n"
            "$iter_sign = -1 if _iter_step < 0 else 1\n"
            "$jump_algo = _iter_p < 0.25\n"
            "$pconst = 1.0 / $np.log(1.0 - _iter_p) if $jump_algo else 1.0\n"
            f"{inner} = _iter_low - _iter_step\n"
            f"while $iter_sign * ({inner} + _iter_step) < $iter_sign * _iter_high:\n"
            f"    {inner} += _iter_step\n"
            "    if $jump_algo:\n"
            f"        {inner} += $int($np.log(1.0 - $rt.uniform($rng, 0)) * $pconst) * _iter_step\n"
            f"        if $iter_sign * {inner} >= $iter_sign * _iter_high:\n"
            "            break\n"
            "    elif $rt.uniform($rng, 0) >= _iter_p:\n"
            "        continue\n"
            f"{indent_lines(body, 1)}")
    outer_loop = [f"_raw{kw['outer_index_array']} = _{outer} + {kw['outer_index_offset']}"]
    if not kw["result_index_condition"]:
        outer_loop += [vc["create_cond"], "if not _cond:\n    continue"]
    outer_loop += [vc["setup_iterator"], loop]
    if not skip:
        outer_loop.append("if $err[0] > 0:\n    break")
    main = "\n".join(b for b in [
        "$b = 0", "$nbuf = 0", "_vectorisation_idx = 1",
        sc["setup_iterator"], sc["generator_expr"], sc["create_cond"], sc["update"],
        f"for _{outer} in $range({kw['outer_index_size']}):\n"
        + indent_lines("\n".join(b for b in outer_loop if b), 1),
        "return $prebuf, $postbuf, $nbuf"] if b)
    return main


class NumbaConnectCodeObject(NumbaCodeObject):
    """A ``synapses_create_generator`` code object that runs in numba when called."""

    def run_block(self, block):
        owner = self.owner
        main = _source(self.code)
        used = set(IDENTIFIER.findall(main))
        arrays, consts = {}, []
        for name, var in self.variables.items():
            if isinstance(var, Constant) and name in used:
                consts.append((name, var.value))
            elif isinstance(var, ArrayVariable) and name in used and var.size == 1:
                # e.g. N_pre when the source is a Synapses object (a size-1 array)
                consts.append((name, var.get_value()[0]))
            if isinstance(var, ArrayVariable):
                array_name = self.code["kwds"]["get_array_name"](var)
                if array_name in used and array_name not in arrays:
                    value = var.get_value()
                    arrays[array_name] = value.reshape(1, -1) if is_batched(var) else value
        cf = np.array([float(v) for _, v in consts] + [0.0], dtype=np.float64)
        binds = []
        for k, (name, value) in enumerate(consts):
            cast = "int" if _is_int(value) else ("bool" if isinstance(value, (bool, np.bool_))
                                                 else "float")
            binds.append(f"{name} = ${cast}($c[{k}])")
        # source keyed by structure
        canon = {name: names.kernel_argument(k) for k, name in enumerate(arrays)}
        text = names.expand("\n".join(binds + [f"{names.CLOCK_TIMESTEP} = 0", main]))
        text = rename_identifiers(text.replace(names.SITE, "0"), canon)
        args = ", ".join(canon.values())
        source = names.module_header() + names.expand(
            "\n@numba.njit(cache=True)\ndef $grow(buf):\n"
            "    new = $np.empty(2 * buf.shape[0], dtype=buf.dtype)\n"
            "    new[:buf.shape[0]] = buf\n    return new\n\n"
            "@numba.njit(cache=True, error_model='numpy')\n"
            f"def connect($rng, $err, $prebuf, $postbuf, $c{', ' if args else ''}{args}):\n"
        ) + indent_lines(text, 1) + "\n"
        module, _ = load_module(source)
        rng = runtime.seed_states(np.random.randint(2 ** 31), 1)
        err = np.zeros(2, dtype=np.int64)
        start = np.empty(1024, dtype=np.int32)
        pre, post, n = module.connect(rng, err, start, start.copy(), cf,
                                      *[arrays[n] for n in arrays])
        if err[0]:
            result = self.code["kwds"]["result_index"]
            size = self.variables[self.code["kwds"]["result_index_size"]].get_value()
            raise IndexError(f"index {result}={int(err[1])} outside allowed range from 0 to "
                             f"{int(size) - 1}")
        old = len(owner.variables["_synaptic_pre"].get_value())
        for key, values in (("_synaptic_pre", pre), ("_synaptic_post", post)):
            dyn = owner.variables[key]
            dyn.resize(old + n)
            dyn.get_value()[old:old + n] = values[:n]
        owner._resize(old + n)
        owner._update_synapse_numbers(old)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
