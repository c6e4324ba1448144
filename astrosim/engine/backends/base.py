"""The back-end interface: what the simulator needs from whatever runs its kernel."""
from dataclasses import dataclass

__all__ = ["Backend", "ParallelPolicy"]


@dataclass(frozen=True)
class ParallelPolicy:
    """Which loops run element-parallel.

    Attributes
    ----------
    batch : int
        Number of batch copies (copies are always independent).
    threads_from : int or None
        Element count from which a single-copy loop is split over threads; ``None``: never.
    parallel_random : bool
        Whether loops drawing random numbers may be split (true for counter-based streams,
        where each element draws its own numbers).
    """

    batch: int
    threads_from: int = None
    parallel_random: bool = False

    def split(self, n, uses_random):
        """Whether a single-copy loop over ``n`` elements runs element-parallel."""
        return (self.batch == 1 and self.threads_from is not None and n >= self.threads_from
                and (self.parallel_random or not uses_random))


class Backend:
    """Interface of a back end (see ``NumbaCPU`` for the reference implementation)."""

    name = "abstract"

    def __init__(self, options):
        self.options = options

    def policy(self, batch):
        """The :class:`ParallelPolicy` for ``batch`` copies under these options."""
        raise NotImplementedError

    def make_builder(self, device, batch):
        """The kernel table the templates render into (the CPU ``ModuleBuilder`` here)."""
        from ..render import ModuleBuilder

        return ModuleBuilder(device, batch, self.options, self.policy(batch))

    def assemble(self, builder, *, batch, profile, arrays):
        """Module source of the kernel described by ``builder``; returns ``(source, args)``."""
        raise NotImplementedError

    def load(self, source):
        """Compile or load (from a cache) the module for ``source``; returns the module."""
        raise NotImplementedError

    def random_states(self, seed, batch):
        """Initial random-stream state for ``batch`` copies under ``seed``."""
        raise NotImplementedError

    def allocate(self, shape, dtype):
        """A zeroed array the kernel can read and write."""
        raise NotImplementedError
