"""Every name the engine itself introduces into generated kernels.

Generated kernels mix two vocabularies. Brian2's: user identifiers (an ASCII letter first:
``v``, ``s``, ``g_e``), the new values and stages its integrators derive from them (``_v``,
``__k_1_v``, ``_BA_v``), loop invariants (``_lio_1``), array names (``_array_group_v``) and the
names its templates share with the generated code (``_idx``, ``_vectorisation_idx``, ``_cond``,
``_synaptic_var``, ``_to_record_v``, ``N``). And the engine's: the batch and step indices,
clock tables, random states, buffers, template locals, module aliases.

Brian2 never produces an identifier that starts with an underscore followed by a digit (user
identifiers start with a letter, and everything Brian2 derives from them or names itself starts
with ``_`` + a letter or a second ``_``). Every name of the engine's vocabulary therefore
starts with :data:`PREFIX` (``_0``), and this module is the only place that spells them, so no
model can collide with the kernel, whatever it names its variables (issue: a variable ``s``
made Brian2's ``_s`` collide with the step index).

Within the fused loop each captured block's names are made unique by a ``__<block>`` suffix
(:func:`block_local`), except the kernel-wide names in :data:`SHARED` and array arguments.
"""
import keyword

__all__ = ["PREFIX", "reserved", "expand", "is_reserved", "block_local", "SHARED", "MODULE_GLOBALS",
           "MODULE_HEADER", "module_header", "USER_FUNCTION", "is_module_global", "EXP", "LOG", "BATCH", "STEP", "TS", "DTS", "RNG", "ERR", "TICKS", "ROWIDX",
           "START", "DONE", "NSTEPS", "PROF", "PC", "CF", "CI", "NP", "RT", "PRANGE",
           "RANGE", "ABS", "CLOCK_T", "CLOCK_DT", "CLOCK_TIMESTEP", "kernel_argument",
           "queue_prefix", "monitor_prefix", "batch_parameter", "local", "BRIAN2_TEMPLATE_NAMES"]

#: no Brian2 identifier starts with an underscore followed by a digit
PREFIX = "_0"


def reserved(name):
    """The engine's name ``name`` in its reserved namespace."""
    return PREFIX + name


def is_reserved(identifier):
    """Whether ``identifier`` belongs to the engine (never to Brian2)."""
    return identifier.startswith(PREFIX)


local = reserved  #: a template's own local variable (renamed per block like Brian2's)

_DOLLAR = __import__("re").compile(r"\$(\w+)")


def expand(template_text):
    """Template text with every ``$name`` replaced by the engine's name ``name``.

    Templates write the engine's vocabulary as ``$b``, ``$n``, ``$range(...)``: ``$`` occurs in
    neither Python nor Brian2 code, so what belongs to the engine stays visible in the template
    source and is spelled in one place.
    """
    return _DOLLAR.sub(lambda m: PREFIX + m.group(1), template_text)


def block_local(name, block):
    """The unique name of a block-local identifier inside the fused loop."""
    return f"{name}__{block}"


# -- kernel-wide names: arguments and indices of ``run_chunk`` --------------------------
BATCH = reserved("b")          #: batch copy index
STEP = reserved("s")           #: global tick within the chunk
TS = reserved("ts")            #: (B, n_clocks) time steps
DTS = reserved("dts")          #: (n_clocks,) dt
RNG = reserved("rng")          #: (B, 4) random states (one stream per copy)
ERR = reserved("err")          #: (B, 4) first non-finite value: check id, index, -, tick
TICKS = reserved("ticks")      #: (n_ticks, n_clocks) which clocks tick
ROWIDX = reserved("rowidx")    #: (n_ticks, n_clocks) monitor row of each tick
START = reserved("start")      #: (B,) first tick to run per copy
DONE = reserved("done")        #: (B,) ticks completed per copy
NSTEPS = reserved("nsteps")    #: ticks in this chunk
PROF = reserved("prof")        #: (B, n_blocks) profiling cycles
PC = reserved("pc")            #: profiling: cycle count before a block
CF = reserved("cf")            #: float constants (passed at run time, not baked in)
CI = reserved("ci")            #: integer constants
CLOCK_INDEX = reserved("c")    #: clock loop index

# -- module-level aliases the generated functions call ---------------------------------
EXP = reserved("exp")          #: exp: the engine's vectorisable one, or libm (precise maths)
LOG = reserved("log")          #: log: likewise
POW = reserved("pow")          #: a ** b: numba's (integer exponents by multiplication), or libm
NP = reserved("np")
RT = reserved("rt")
PRANGE = reserved("prange")
RANGE = reserved("range")
ABS = reserved("abs")
MIN = reserved("min")
MAX = reserved("max")
INT = reserved("int")
FLOAT = reserved("float")
BOOL = reserved("bool")
LEN = reserved("len")

MODULE_HEADER = (
    f"import numpy as {NP}\n"
    "import numba\n"
    f"from astrosim.engine import runtime as {RT}\n"
    f"{PRANGE} = numba.prange\n"
    f"{RANGE} = range\n{ABS} = abs\n{MIN} = min\n{MAX} = max\n{INT} = int\n"
    f"{FLOAT} = float\n{BOOL} = bool\n{LEN} = len\n")


def module_header(precise_math=False, rng="sequential"):
    """Header of a generated module: imports and the aliases its functions call."""
    from .runtime import RANDOM_HELPERS

    lib = NP if precise_math else RT  # libm through numpy, or the engine's vectorisable ones
    power = f"{RT}.libm_power" if precise_math else f"{RT}.power"
    randoms = "".join(f"{alias} = {RT}.{RANDOM_HELPERS[rng][kind]}\n"
                      for kind, alias in RANDOM_ALIASES.items())
    return MODULE_HEADER + f"{EXP} = {lib}.exp\n{LOG} = {lib}.log\n{POW} = {power}\n" + randoms

#: random-number aliases of generated code (bound to a stream kind in the module header)
RANDOM_ALIASES = {kind: reserved(kind) for kind in
                  ("uniform", "normal", "poisson", "binomial_normal", "binomial_exact")}
#: placeholder for a random call site's number (made unique per kernel by the renderer)
SITE = reserved("SITE")


#: prefix of the user's Python functions compiled into a module (``astrosim.engine.userfunc``):
#: module globals like those below, never renamed per block nor passed to outlined functions
USER_FUNCTION = reserved("uf_")


def is_module_global(name):
    """Whether ``name`` is a global of every generated module (an alias or a user function)."""
    return name in MODULE_GLOBALS or name.startswith(USER_FUNCTION)


#: module globals of a generated kernel module (never parameters of outlined functions)
MODULE_GLOBALS = frozenset({NP, RT, EXP, LOG, POW, PRANGE, *RANDOM_ALIASES.values(), RANGE, ABS, MIN, MAX, INT, FLOAT, BOOL, LEN,
                            "numba", *keyword.kwlist, "True", "False", "None"})

#: names shared by all blocks of the fused loop (not renamed per block)
SHARED = frozenset({BATCH, STEP, TS, DTS, RNG, ERR, TICKS, ROWIDX, START, DONE, NSTEPS, PROF,
                    PC, CF, CI, CLOCK_INDEX}) | MODULE_GLOBALS

# -- per-block clock values (the generator reads t, dt, timestep from these) -----------
CLOCK_T = reserved("t")
CLOCK_DT = reserved("dt")
CLOCK_TIMESTEP = reserved("timestep")


def kernel_argument(k):
    """Canonical name of the ``k``-th array argument (the source depends on structure only)."""
    return reserved(f"a{k}")


def queue_prefix(k):
    """Prefix of the spike-queue arrays of the ``k``-th pathway."""
    return reserved(f"q{k}")


def monitor_prefix(k):
    """Prefix of the recording buffers of the ``k``-th monitor."""
    return reserved(f"m{k}")


def batch_parameter(k):
    """Array of per-copy values of the ``k``-th batched parameter."""
    return reserved(f"bp{k}")


#: names Brian2's generated code shares with the templates (Brian2's vocabulary, not ours)
BRIAN2_TEMPLATE_NAMES = frozenset({"_idx", "_vectorisation_idx", "_cond", "_synaptic_var", "N",
                                   "_source_start", "_source_stop", "_num_source_neurons",
                                   "_period_bins"})
