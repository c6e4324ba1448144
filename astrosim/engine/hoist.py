"""Per-source and per-target hoisting: synaptic sub-expressions computed once per neuron, not per synapse.

In a synaptic loop (a summed variable, a synaptic state update) Brian2's code evaluates every
expression once per synapse. A sub-expression that reads only presynaptic variables (through
``_presynaptic_idx``) and values that are the same for every synapse (constants, the scalar part
of the block, ``t``) has the same value for all synapses of one source, yet it is evaluated
once per synapse: ``log`` of an astrocyte's calcium in NEST's slow inward current, for instance,
160,000 times per step instead of 2,000. The same holds for the postsynaptic side.

This pass finds, in the statements of one synaptic loop, the largest such sub-expressions that
contain a function call, a power or a division and yield a float, and returns

- the loop's statements with each of them replaced by a read ``tmp[b, index - lo]`` of a
  temporary array, and
- per side, the statements that compute these temporaries in a loop over the side's indices
  ``lo <= index < hi`` (the loads of the variables they read, then the expressions).

**Invariant.** Each temporary holds exactly the value the replaced sub-expression had for every
synapse with that source (target): the same operations on the same operands in the same order
(a whole node of the expression tree is replaced, nothing is re-associated), read from arrays
that the loop itself does not write, so results are bit-identical to evaluating it per synapse.
Sub-expressions that draw random numbers, read per-synapse values or arrays the loop writes,
or that the pass cannot type as a float are left where they are; a block with statements other
than plain assignments (conditionals, loops) is left unchanged. The caller runs the temporaries'
loop at the start of the block, every time the block runs, so they never go stale.

``EngineOptions(hoist=False)`` (or ``ASTROSIM_HOIST=0``) turns the pass off.
"""
import ast
from dataclasses import dataclass, field

from . import names as K

__all__ = ["SIDE_INDEX", "HoistPlan", "plan_hoisting"]

#: the index names through which Brian2's synaptic code reads each side's variables
SIDE_INDEX = {"pre": "_presynaptic_idx", "post": "_postsynaptic_idx"}
#: names that differ from synapse to synapse (the loop's own index)
_PER_ELEMENT = frozenset({"_idx", "_vectorisation_idx"})
_PER_SYNAPSE = "syn"

#: calls that return a float64 for float64 arguments (renderings of Brian2's functions)
_FLOAT_CALLS = frozenset({K.EXP, K.LOG, K.POW} | {f"{K.NP}.{f}" for f in (
    "exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "log10", "expm1", "log1p",
    "arcsin", "arccos", "arctan")} | {f"{K.RT}.exprel", f"{K.RT}.timed_1d", f"{K.RT}.timed_2d"})
#: calls without side effects whose result depends only on their arguments
_PURE_CALLS = _FLOAT_CALLS | {f"{K.RT}.clip", f"{K.RT}.sign", f"{K.RT}.to_int", K.ABS, K.MIN, K.MAX,
                              f"{K.NP}.ceil", f"{K.NP}.floor", f"{K.NP}.abs"}


@dataclass
class HoistPlan:
    """What :func:`plan_hoisting` found for one side of a synaptic loop.

    ``index`` is the side's index name (``_presynaptic_idx``), ``setup`` the statements (in the
    loop's order, renamed into the engine's namespace) that compute the values the temporaries
    need from the loop variable ``loop_index``; ``values`` pairs each temporary's number with
    its expression.
    """

    side: str
    index: str
    loop_index: str
    setup: list = field(default_factory=list)
    values: list = field(default_factory=list)


def _call_name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return None


class _Classifier:
    """Which sides (``'pre'``, ``'post'``, ``'syn'``) an expression depends on."""

    def __init__(self, local_class, written_arrays):
        self.local_class = local_class
        self.written = written_arrays

    def __call__(self, node):
        if isinstance(node, ast.Name):
            if node.id in _PER_ELEMENT:
                return {_PER_SYNAPSE}
            return set(self.local_class.get(node.id, ()))
        if isinstance(node, ast.Constant):
            return set()
        if isinstance(node, ast.Subscript):
            base = node.value
            if not isinstance(base, ast.Name) or base.id in self.written:
                return {_PER_SYNAPSE}
            return self(node.slice)
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name not in _PURE_CALLS or node.keywords:
                return {_PER_SYNAPSE}
            out = set()
            for arg in node.args:
                out |= self(arg)
            return out
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Tuple)):
            out = set()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    out |= self(child)
            return out
        return {_PER_SYNAPSE}  # anything else: not hoisted


def _is_float(node):
    """Whether ``node`` certainly evaluates to a float64 (so a float64 temporary keeps it exactly)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, float)
    if isinstance(node, ast.Call):
        return _call_name(node.func) in _FLOAT_CALLS
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div):
            return True
        return _is_float(node.left) or _is_float(node.right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_float(node.operand)
    return False


def _is_costly(node):
    """Contains a call (``x ** y`` is one), a power or a division: worth a temporary."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) or (isinstance(sub, ast.BinOp) and isinstance(sub.op, (ast.Pow, ast.Div))):
            return True
    return False


def _names(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def plan_hoisting(vector_code, sides, temporary):
    """Hoist the single-side sub-expressions of a synaptic loop's ``vector_code``.

    Parameters
    ----------
    vector_code : str
        The per-synapse statements (Brian2's generated code, engine names already spelled out).
    sides : dict
        ``{side: (lo, hi names)}`` for each side to hoist (``'pre'``/``'post'``): the names of the
        block-local bounds of that side's index range, used in the temporary's index.
    temporary : callable
        ``temporary(side, j)`` returns the kernel name of the ``j``-th temporary array of a side.

    Returns
    -------
    (str, list of HoistPlan)
        The rewritten statements and one plan per side with at least one temporary; the code is
        returned unchanged (and the list empty) when nothing can be hoisted.
    """
    try:
        tree = ast.parse(vector_code)
    except SyntaxError:
        return vector_code, []
    body = tree.body
    if not all(isinstance(s, (ast.Assign, ast.AugAssign)) for s in body):
        return vector_code, []
    written = set()
    assigned = {}
    for stmt in body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                written.add(target.value.id)
            elif isinstance(target, ast.Name):
                assigned[target.id] = assigned.get(target.id, 0) + (2 if isinstance(stmt, ast.AugAssign) else 1)
            else:
                return vector_code, []
    index_side = {index: side for side, index in SIDE_INDEX.items()}
    local_class, definition = {}, {}
    classify = _Classifier(local_class, written)
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if assigned[name] > 1:
                local_class[name] = {_PER_SYNAPSE}
            elif name in index_side:
                local_class[name] = {index_side[name]}
            else:
                local_class[name] = classify(stmt.value)
                definition[name] = stmt
        else:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    local_class[target.id] = {_PER_SYNAPSE}

    found = {side: [] for side in sides}

    class Replace(ast.NodeTransformer):
        def generic_visit(self, node):
            if isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant)):
                cls = classify(node)
                if len(cls) == 1:
                    side = next(iter(cls))
                    if side in sides and _is_costly(node) and _is_float(node):
                        j = len(found[side])
                        found[side].append(node)
                        lo = sides[side][0]
                        return ast.parse(f"{temporary(side, j)}[{K.BATCH}, {SIDE_INDEX[side]} - {lo}]",
                                         mode="eval").body
            return super().generic_visit(node)

    changed = False
    for stmt in body:
        stmt.value = Replace().visit(stmt.value)
    plans = []
    for side, nodes in found.items():
        if not nodes:
            continue
        changed = True
        index = SIDE_INDEX[side]
        loop_index = K.local(f"h{side}")
        # the definitions the expressions need, transitively, in the loop's order
        needed = set()
        pending = set().union(*(_names(n) for n in nodes))
        while pending:
            name = pending.pop()
            if name in definition and name not in needed:
                needed.add(name)
                pending |= _names(definition[name].value)
        rename = {name: K.local(f"h{side}_{name}") for name in needed}
        rename[index] = loop_index
        plan = HoistPlan(side, index, loop_index)
        for stmt in body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) \
                    and stmt.targets[0].id in needed:
                plan.setup.append(_renamed(stmt, rename))
        plan.values = [(j, _renamed(node, rename)) for j, node in enumerate(nodes)]
        plans.append(plan)
    if not changed:
        return vector_code, []
    return "\n".join(ast.unparse(stmt) for stmt in body), plans


def _renamed(node, mapping):
    """Source of ``node`` (a statement or expression) with the names of ``mapping`` replaced."""
    class Rename(ast.NodeTransformer):
        def visit_Name(self, n):
            return ast.copy_location(ast.Name(id=mapping.get(n.id, n.id), ctx=n.ctx), n)

    import copy

    return ast.unparse(Rename().visit(copy.deepcopy(node)))
