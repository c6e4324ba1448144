"""Render the captured blocks as one CUDA kernel per chunk: a thread block per batch copy.

``CudaKernelBuilder`` is the CPU ``ModuleBuilder`` (same array table, constants, per-copy
parameters, block inlining and local renaming) with the CUDA templates
(:mod:`.cuda_templates`) and its own kernel text: one launch runs a whole chunk; thread
block ``b`` is batch copy ``b`` and walks the chunk's steps itself; between blocks (and
inside a block wherever one thread's writes are read by others) its threads meet at a
barrier. The passes that rewrite CPU kernel text (CSE, skipping unchanged sums, scalar
specialisation, hoisting) are off: each is bit-identical, so results do not change.
"""
import re

from .. import names as K
from ..codegen import indent_lines as _indent, rename_identifiers
from ..errors import UnsupportedFeatureError
from ..render import ModuleBuilder
from . import cuda_runtime
from .cuda_templates import CUDA_TEMPLATES, SYNC

__all__ = ["CudaKernelBuilder", "cuda_options"]

#: the engine's names that only CUDA kernels use (kernel-wide: never renamed per block)
CUDA_SHARED = tuple(K.reserved(n) for n in ("tid", "nth", "cuda", "grid"))
_ATTR_CALL = re.compile(r"\b(" + K.NP + "|" + K.RT + r")\.(\w+)\b")
#: a call of a compiled user function (``userfunc``: reserved prefix, the name, a 10-digit digest)
_USER_FUNCTION = re.compile(r"\b" + re.escape(K.USER_FUNCTION) + r"(\w+?)_[0-9a-f]{10}\(")


def cuda_options(options):
    """``options`` with the CPU-text passes off (all bit-identical) and counter streams.

    The split delivery of event-driven pathways and the lazy integration of linear variables
    (CPU functions) are off too: untested on a device."""
    return options.replace(cse=False, skip_sums=False, specialize=False, hoist=False,
                           split_delivery=False, lazy_linear=False, rng="counter")


class CudaKernelBuilder(ModuleBuilder):
    """The kernel table and text of a CUDA run (see the module docstring).

    Parameters
    ----------
    device, batch, options, policy
        As for :class:`~astrosim.engine.render.ModuleBuilder`.
    threads : int
        Threads per block.
    blocks : int
        Blocks per batch copy; above one they meet at grid-wide barriers.
    """

    def __init__(self, device, batch, options, policy, threads, blocks=1):
        super().__init__(device, batch, cuda_options(options), policy)
        self.threads = int(threads)
        self.copy_blocks = int(blocks)
        self.lanes = self.threads * self.copy_blocks  # threads of one copy
        self.owners = []  # Brian2 object of each call (error messages)

    def code_object(self, block):
        # user-defined Python functions are compiled for the CPU only (no device version)
        m = _USER_FUNCTION.search(block.scalar_code + "\n" + block.vector_code)
        if m:
            raise UnsupportedFeatureError(block.owner, "the user-defined function "
                                          f"'{m.group(1)}' on the cuda back end")
        render = CUDA_TEMPLATES.get(block.template)
        if render is None:
            raise UnsupportedFeatureError(block.owner, f"code template '{block.template}' on "
                                          "the cuda back end")
        body, extra = render(self, block)
        k = self.n_funcs
        key = self.add_function(block.codeobj, f"{block.owner}_{block.template}", body,
                                block.clock_index, extra_consts=extra, group_name=block.group)
        clock_index, text = self.calls[-1]
        # names of the CUDA vocabulary are kernel-wide, like names.SHARED
        text = re.sub(r"\b(" + "|".join(CUDA_SHARED) + r")__" + str(k) + r"\b", r"\1", text)
        for prefix, name in set(_ATTR_CALL.findall(text)):
            table = cuda_runtime.NUMPY if prefix == K.NP else cuda_runtime.RUNTIME
            if name not in table:
                raise UnsupportedFeatureError(block.owner, f"the function '{name}' on the "
                                              "cuda back end")
        self.calls[-1] = (clock_index, text)
        self.owners.append(block.owner)
        return key

    def cuda_source(self):
        """Module source defining the ``run_chunk`` CUDA kernel; ``(source, argument names)``.

        The kernel has the CPU kernel's arguments (``prof`` unused) and semantics: copy ``b``
        runs ticks ``start[b]`` to ``nsteps``, stops early (``done[b]``) when a spike buffer
        may overflow or a value became NaN/inf (``err[b]``).
        """
        args = list(self.arrays)
        self.facts["random_sites"] = self.n_sites
        if self.copy_blocks == 1:
            body = ["$b = $cuda.blockIdx.x", "$tid = $cuda.threadIdx.x", "$nth = $cuda.blockDim.x"]
        else:  # the copy's blocks are consecutive; their threads count as one range
            g = self.copy_blocks
            body = [f"$b = $cuda.blockIdx.x // {g}",
                    f"$tid = ($cuda.blockIdx.x % {g}) * $cuda.blockDim.x + $cuda.threadIdx.x",
                    f"$nth = {g} * $cuda.blockDim.x", "$grid = $cuda.cg.this_grid()"]
        body += ["$done[$b] = $nsteps", "for $s in $range($start[$b], $nsteps):"]
        for line in self.capacity_checks:  # read only: every thread decides the same
            body.append(_indent(line, 1))
        body.append(f"    {SYNC}")
        for clock_index, call in self.calls:
            body.append(f"    if $ticks[$s, {clock_index}]:\n{_indent(call, 2)}")
            body.append(f"    {SYNC}")
        body.append("    if $tid == 0:\n        for $c in $range($dts.shape[0]):\n"
                    "            if $ticks[$s, $c]:\n                $ts[$b, $c] += 1")
        body.append(f"    {SYNC}")
        body.append("    if $err[$b, 0] >= 0:\n        $err[$b, 3] = $s\n"
                    "        $done[$b] = $s + 1\n        break")
        canon = {name: K.kernel_argument(k) for k, name in enumerate(args)}
        text = rename_identifiers(K.expand("\n".join(body)), canon)
        if self.copy_blocks > 1:  # every barrier spans the grid
            text = text.replace(K.expand(SYNC), K.expand("$grid.sync()"))
        used = sorted(set(_ATTR_CALL.findall(text)))
        text = _ATTR_CALL.sub(lambda m: f"{m.group(1)}_{m.group(2)}", text)
        main = K.expand(
            f"@$cuda.jit(**$crt.kernel_options({self.threads}, {self.options.cuda_blocks_per_sm}))\n"
            "def run_chunk($nsteps, $ticks, $rowidx, $ts, $dts, $rng, $err, $start, $done, "
            f"$prof, $cf, $ci, {', '.join(canon[a] for a in args)}):\n") + _indent(text, 1)
        return _header(self.options.precise_math, used) + "\n" + main + "\n", args


def _header(precise_math, used):
    """Imports and the aliases the kernel calls (every one a device function or builtin)."""
    crt = K.reserved("crt")
    lines = ["import math", f"from numba import cuda as {K.reserved('cuda')}",
             f"from astrosim.engine.backends import cuda_runtime as {crt}"]
    for alias, builtin in ((K.RANGE, "range"), (K.ABS, "abs"), (K.MIN, "min"), (K.MAX, "max"),
                           (K.INT, "int"), (K.FLOAT, "float"), (K.BOOL, "bool"),
                           (K.LEN, "len")):
        lines.append(f"{alias} = {builtin}")
    lines += [f"{K.EXP} = math.exp", f"{K.LOG} = math.log",
              f"{K.POW} = {crt}.RUNTIME['{'libm_power' if precise_math else 'power'}']"]
    lines += [f"{alias} = {crt}.RANDOM['{kind}']" for kind, alias in K.RANDOM_ALIASES.items()]
    for prefix, name in used:
        table = "NUMPY" if prefix == K.NP else "RUNTIME"
        lines.append(f"{prefix}_{name} = {crt}.{table}['{name}']")
    return "\n".join(lines) + "\n"
