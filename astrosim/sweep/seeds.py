"""Per-point random streams that do not depend on how a sweep is cut into tasks.

The engine gives batch copy ``b`` of ``Simulator(seed=s)`` the xoshiro stream that copy 0 of
``Simulator(seed=s + STRIDE*b)`` would get (splitmix64 seeding, ``astrosim.engine.runtime``).
Every copy of every point therefore has a fixed *stream number* ``n`` (points in run order, each
taking as many consecutive numbers as it has copies) and is run with the stream of
``base(sweep_seed) + STRIDE*n``: a chunk starting at stream number ``n0`` is one simulator seeded
with ``base + STRIDE*n0``, and the same point gets the same stream in any chunk, on any worker.
"""
import numpy as np

__all__ = ["STRIDE", "MASK", "base_seed", "chunk_seed", "build_seed", "check_engine_streams"]

#: Seed distance between consecutive batch copies in the engine's seeding.
STRIDE = 4
MASK = (1 << 64) - 1


def _mix(x):
    """splitmix64 finaliser: a well-spread 64-bit value from an integer."""
    x = (int(x) + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def base_seed(sweep_seed):
    """Where the streams of sweep ``sweep_seed`` start (different sweep seeds land far apart)."""
    return _mix(sweep_seed)


def chunk_seed(sweep_seed, first_stream):
    """Simulator seed of a chunk whose first copy has stream number ``first_stream``."""
    return (base_seed(sweep_seed) + STRIDE * int(first_stream)) & MASK


def build_seed(sweep_seed, key):
    """A 32-bit seed for numpy/Brian2 while a network is built (connectivity, random initial values).

    ``key`` is an integer: a chunk's structural group (so all its points share connectivity) or a
    point's run index (protocols that build one network per point).
    """
    return _mix(_mix(sweep_seed) ^ (int(key) * 0xD1B54A32D192ED03 & MASK)) & 0xFFFFFFFF


_checked = []


def check_engine_streams():
    """Refuse to run if the engine no longer seeds copies as this module assumes."""
    if _checked:
        return
    from astrosim.engine.runtime import seed_states

    seed = 12345
    together = seed_states(seed, 3)
    apart = np.stack([seed_states(seed + STRIDE * b, 1)[0] for b in range(3)])
    if not np.array_equal(together, apart):
        raise RuntimeError("astrosim.sweep: the engine's per-copy seeding changed; per-point streams would "
                           "depend on the chunking (update astrosim/sweep/seeds.py)")
    _checked.append(True)
