"""Training on several processes: DistributedDataParallel, gloo on the CPU and NCCL on GPUs.

Start it with ``torchrun --nproc_per_node=N -m astrosim.cli.train ...`` or ``astrosim train ...
--nproc N`` (which runs torchrun for you). ``--batch-size`` is the global batch. Each rank loads
only its share of the data onto its device (:mod:`astrosim.train.sharded`: examples ``r::W``, cut
once at load), walks the single-process permutation of all examples and takes from every global
batch the members it holds, so the global batches are the single-process ones for any W.
Gradients are averaged by DDP with the loss scaled so that the update equals the single-process
one on the same global batch; the logged losses and accuracies and the evaluation results are
summed over ranks. Rank 0 alone prints, writes the logs, the checkpoints and the summary; every
rank reads the checkpoint on ``--resume``. Data objects loaded without a partition fall back to
:class:`RankShard` (every rank holds everything and slices each global batch).

The NCCL path (one GPU per rank) is written but has not been run: the tests use gloo on the CPU.
"""
import contextlib
import os
import socket
import subprocess
import sys

import torch

__all__ = ["Context", "current", "setup_from_env", "launch", "train_argv", "run_ranks", "free_port"]


class Context:
    """Where this process stands: rank, world size, and the collective helpers the loop uses."""

    def __init__(self, rank=0, world=1, local_rank=0, backend=None):
        self.rank, self.world, self.local_rank, self.backend = rank, world, local_rank, backend

    @property
    def active(self):
        return self.world > 1

    @property
    def is_main(self):
        """True on rank 0 (the only rank that prints and writes files)."""
        return self.rank == 0

    def wrap(self, model, device):
        """``model`` in DistributedDataParallel (unchanged in a single process)."""
        if not self.active:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index if device.index is not None else torch.cuda.current_device()] \
            if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    @property
    def partition(self):
        """``(rank, world)`` for loading this rank's share of the data; None in a single process."""
        return (self.rank, self.world) if self.active else None

    def shard(self, data):
        """The training data as this rank sees it: data loaded with this rank's partition as it is,
        other data behind a :class:`RankShard` (unchanged in a single process)."""
        if not self.active:
            return data
        held = getattr(data, "partition", None)
        if held is not None:
            if tuple(held) != self.partition:
                raise ValueError(f"the data holds the share of rank {held[0]} of {held[1]}, but this is rank "
                                 f"{self.rank} of {self.world}")
            return data
        return RankShard(data, self.rank, self.world)

    def total(self, value):
        """Sum of a tensor (or number) over ranks; the value itself in a single process."""
        if not self.active:
            return value
        import torch.distributed as dist

        tensor = value.clone() if torch.is_tensor(value) else torch.tensor(value, dtype=torch.float64)
        device = tensor.device
        if self.backend == "gloo" and device.type != "cpu":
            tensor = tensor.cpu()
        dist.all_reduce(tensor)
        tensor = tensor.to(device)
        return tensor if torch.is_tensor(value) else type(value)(tensor.item())

    def agree(self, flag):
        """Rank 0's decision (a bool), on every rank (so all stop at the same epoch)."""
        if not self.active:
            return flag
        import torch.distributed as dist

        box = [bool(flag)]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    @contextlib.contextmanager
    def main_first(self):
        """Rank 0 runs the block first (e.g. writes a data cache), the other ranks after it."""
        if self.active and not self.is_main:
            self.barrier()
        yield
        if self.active and self.is_main:
            self.barrier()

    def barrier(self):
        if self.active:
            import torch.distributed as dist

            dist.barrier()


class RankShard:
    """A rank's view of training data that every rank holds whole: its slice of every global batch.

    The underlying data yields the global batch exactly as in a single process (same permutation,
    same augmentation draws); this rank keeps rows ``tensor_split(rows, W)[r]``. The count it
    reports for a training batch is the global count divided by W, so ``loss / n`` averaged over
    ranks by DDP is the global mean loss, and the counts summed over ranks are the global counts.
    """

    def __init__(self, data, rank, world):
        self.data, self.rank, self.world = data, rank, world
        self._local_targets, self._share = None, None

    def __getattr__(self, name):
        return getattr(self.data, name)

    def epoch_batches(self, batch_size, generator):
        if batch_size < self.world:
            raise ValueError(f"the global batch size {batch_size} is smaller than the {self.world} ranks")
        for inputs, targets in self.data.epoch_batches(batch_size, generator):
            local = tuple(x.tensor_split(self.world)[self.rank] for x in inputs)
            local_targets = targets.tensor_split(self.world)[self.rank]
            self._local_targets, self._share = local_targets, targets.numel() / self.world
            yield local, local_targets

    def loss_and_correct(self, logits, targets):
        loss, hits, n = self.data.loss_and_correct(logits, targets)
        if targets is self._local_targets:
            return loss, hits, self._share
        return loss, hits, n


_current = [Context()]


def current():
    """The :class:`Context` of this process (single-process unless :func:`setup_from_env` found ranks)."""
    return _current[0]


def setup_from_env(device=None):
    """Join the process group torchrun described (``WORLD_SIZE`` > 1); returns the :class:`Context`.

    CUDA ranks use ``cuda:LOCAL_RANK`` and NCCL; CPU ranks use gloo. A single process is left alone.
    Returns the device name the rank should use (or ``device`` unchanged).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return device
    import torch.distributed as dist

    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", os.environ["RANK"]))
    wants_cuda = (device is None and torch.cuda.is_available()) or (device or "").startswith("cuda")
    if wants_cuda:
        if device not in (None, "cuda"):
            raise ValueError(f"--device {device}: under torchrun each rank takes cuda:LOCAL_RANK; "
                             f"pass --device cuda (or none)")
        torch.cuda.set_device(local)
        device, backend = f"cuda:{local}", "nccl"
    else:
        device, backend = "cpu", "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    _current[0] = Context(rank, world, local, backend)
    return device


def teardown(wait=False):
    """Leave the process group (end of a distributed run).

    With ``wait`` every rank first meets the others, so no rank tears the group down while
    another still talks to it (gloo then aborts a rank: "terminate called without an active
    exception"); after an error there is no waiting, since the other ranks may never come.
    """
    import torch.distributed as dist

    if dist.is_initialized():
        if wait:
            dist.barrier()
        dist.destroy_process_group()
    _current[0] = Context()


def train_argv(argv=None):
    """The training command's own arguments from ``sys.argv``, without ``--nproc``."""
    argv = list(sys.argv if argv is None else argv)
    if argv and argv[0].endswith(("train.py", "astrosim.cli.train")):
        args = argv[1:]
    else:
        args = argv[argv.index("train") + 1:] if "train" in argv else argv[1:]
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--nproc":
            skip = True
            continue
        if a.startswith("--nproc="):
            continue
        out.append(a)
    return out


def launch(nproc, args):
    """Run ``python -m torch.distributed.run --standalone --nproc_per_node=nproc -m astrosim.cli.train args``."""
    if int(nproc) < 1:
        raise ValueError(f"--nproc must be at least 1, got {nproc}")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1",
               f"--nproc_per_node={int(nproc)}", "-m", "astrosim.cli.train", *args]
    return subprocess.call(command)


def free_port():
    """A TCP port free on this host right now (for a local rendezvous)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank, world, port, fn, args):
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world), "OMP_NUM_THREADS": "1"})
    torch.set_num_threads(1)
    setup_from_env("cpu")
    try:
        fn(*args)
    finally:
        teardown()


def run_ranks(nproc, fn, *args):
    """Run ``fn(*args)`` on ``nproc`` CPU ranks (gloo) in new processes, like torchrun on one host.

    ``fn`` must be importable by name in a fresh process (a module-level function).
    """
    import torch.multiprocessing as mp

    mp.start_processes(_rank_main, args=(nproc, free_port(), fn, args), nprocs=nproc, join=True,
                       start_method="spawn")
