"""Common-subexpression elimination for generated kernel code (shorter numba compilation).

Brian2's Runge–Kutta state updaters repeat the same sub-expressions many times (every stage
re-evaluates terms such as ``C + 0.5*k_1_C`` inside each flux); numba types and lowers each
occurrence separately, which dominates the compile time of astrocyte networks. Within each
straight-line run of assignments, an arithmetic sub-expression that occurs again with the same
inputs is computed once into a temporary. The operations and their order are unchanged, so the
results are bit-identical.

As a pass (``run``, listed in ``astrosim.engine.passes``) it rewrites each block's text on its
own: a straight-line run never crosses a block (each sits under its own clock test), so this
finds the same temporaries as one transform of the whole module would, and the temporaries are
numbered across blocks, so no name is typed twice by numba. It needs no record: it is a
transform of code, and the records' facts (arrays, random numbers, time) do not change.
"""
import ast

from . import names

__all__ = ["eliminate_common_subexpressions", "run"]

_PURE_NAMES = {names.ABS, names.EXP, names.POW}
_PURE_CALLS = {(names.RT, "exp"), (names.RT, "clip"), (names.RT, "sign"), (names.NP, "sqrt"),
               (names.NP, "log"), (names.NP, "tanh"), (names.NP, "sin"), (names.NP, "cos")}


def _pure(node):
    """Arithmetic on names and constants (and pure math calls) only."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Subscript, ast.Attribute)):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) \
                    and (sub.value.id, sub.attr) in _PURE_CALLS:
                continue
            return False
        if isinstance(sub, ast.Call):
            f = sub.func
            if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and (f.value.id, f.attr) in _PURE_CALLS) and \
                    not (isinstance(f, ast.Name) and f.id in _PURE_NAMES):
                return False
        elif not isinstance(sub, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load,
                                  ast.operator, ast.unaryop, ast.Call)):
            return False
    return True


class _Facts:
    """Per-node facts of one run, computed once (``ast.walk`` per node was quadratic)."""

    def __init__(self):
        self.memo = {}

    def get(self, node):
        """``(candidate, dump, names)`` of ``node``."""
        facts = self.memo.get(id(node))
        if facts is None:
            candidate = isinstance(node, (ast.BinOp, ast.Call, ast.UnaryOp)) and _pure(node) \
                and sum(1 for _ in ast.walk(node)) >= 4
            names = tuple(sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)})) \
                if candidate else ()
            facts = (candidate, ast.dump(node) if candidate else None, names, node)
            self.memo[id(node)] = facts  # the node is kept, so its id stays unique
        return facts[:3]


def _key(facts, node, versions):
    _, dump, names = facts.get(node)
    return dump, tuple((n, versions.get(n, 0)) for n in names)


def _run(stmts, counter):
    """CSE over one run of ``name = expr`` statements; returns the new statement list."""
    facts = _Facts()
    versions, counts = {}, {}
    for st in stmts:
        for node in ast.walk(st.value):
            if facts.get(node)[0]:
                k = _key(facts, node, versions)
                counts[k] = counts.get(k, 0) + 1
        versions[st.targets[0].id] = versions.get(st.targets[0].id, 0) + 1
    versions, temps, out = {}, {}, []

    class Replace(ast.NodeTransformer):
        def generic_visit(self, node):
            if facts.get(node)[0]:
                k = _key(facts, node, versions)
                if k in temps:
                    return ast.Name(id=temps[k], ctx=ast.Load())
                if counts.get(k, 0) >= 2:
                    inner = super().generic_visit(node)
                    name = names.reserved(f"cse{counter[0]}")
                    counter[0] += 1
                    out.append(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())],
                                          value=inner, lineno=0))
                    temps[k] = name
                    return ast.Name(id=name, ctx=ast.Load())
            return super().generic_visit(node)

    for st in stmts:
        st.value = Replace().visit(st.value)
        out.append(st)
        target = st.targets[0].id
        versions[target] = versions.get(target, 0) + 1
        for k in [k for k in temps if any(n == target for n, _ in k[1])]:
            del temps[k]
    facts.memo.clear()  # it holds every node: let the tree go without a cycle collection
    return out


def _block(stmts, counter):
    out, run = [], []
    for st in stmts:
        simple = isinstance(st, ast.Assign) and len(st.targets) == 1 \
            and isinstance(st.targets[0], ast.Name)
        if simple:
            run.append(st)
            continue
        if run:
            out.extend(_run(run, counter))
            run = []
        for field in ("body", "orelse"):
            if hasattr(st, field) and isinstance(getattr(st, field), list):
                setattr(st, field, _block(getattr(st, field), counter))
        out.append(st)
    if run:
        out.extend(_run(run, counter))
    return out


def eliminate_common_subexpressions(source, counter=None):
    """Return ``source`` (Python text) with repeated pure sub-expressions computed once.

    ``counter`` (a one-element list) numbers the temporaries and is advanced by the number
    introduced, so several texts can share one numbering.
    """
    tree = ast.parse(source)
    counter = [0] if counter is None else counter
    tree.body = _block(tree.body, counter)
    return ast.unparse(ast.fix_missing_locations(tree))


def run(draft, options, facts):
    """CSE of every block's text, temporaries numbered across the kernel (a ``passes`` pass)."""
    counter = [0]
    draft.texts = [eliminate_common_subexpressions(text, counter) for text in draft.texts]
    facts["cse_temporaries"] = counter[0]
