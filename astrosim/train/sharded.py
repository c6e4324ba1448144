"""One DDP rank's part of a device-resident dataset, cut once at load time.

Rank r of W keeps the examples (classification rows, language-model windows) whose index i has
``i % W == r``, so a rank's device holds about 1/W of the data. Every rank still draws the
single-process epoch permutation of *all* indices (N integers, on the host) and walks the same
global batches; from each it takes the members it holds. A global batch is therefore exactly the
single-process batch for any W, and so are the augmentation draws (drawn for the whole global
batch, applied to the local rows). The price: the local batch sizes vary around B/W from step to
step (the count of a rank's examples in a random batch), and a rank may get an empty batch, which
still takes part in DDP's gradient average with zero gradients.

The count a training batch reports is the global batch size divided by W, so ``loss / count``
averaged over ranks by DDP is the global mean loss and the counts summed over ranks are the
global counts. Evaluation runs over a rank's own examples; ``astrosim.train.loop.evaluate_model``
sums the results over ranks.
"""
import numpy as np
import torch

from astrosim.train.batches import ClassificationData, LanguageModelData, random_crop_flip

__all__ = ["ShardedClassificationData", "ShardedLanguageModelData", "check_partition", "local_positions"]


def check_partition(partition):
    """``(rank, world)`` as ints, refused when it is not a valid rank of a world."""
    try:
        rank, world = (int(v) for v in partition)
    except (TypeError, ValueError):
        raise ValueError(f"data partition must be (rank, world), got {partition!r}") from None
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"data partition: rank {rank} is not one of the {world} ranks")
    return rank, world


def local_positions(indices, rank, world):
    """Positions in a global batch of ``indices`` held by ``rank``, and the local row numbers there."""
    pos = torch.nonzero(indices % world == rank).flatten()
    return pos, indices[pos] // world


class _TrainingShare:
    """Bookkeeping shared by both kinds: the global count of the current training batch over W."""

    def _remember(self, local_targets, global_count):
        self._local_targets, self._share = local_targets, global_count / self.partition[1]

    def loss_and_correct(self, logits, targets):
        loss, hits, n = super().loss_and_correct(logits, targets)
        if targets is getattr(self, "_local_targets", None):
            return loss, hits, self._share
        return loss, hits, n


class ShardedClassificationData(_TrainingShare, ClassificationData):
    """:class:`ClassificationData` holding rows ``r::W`` of the training and test arrays on ``device``.

    ``size(split)`` and ``steps`` are the global numbers; ``local_size(split)`` is this rank's.
    """

    def __init__(self, train, test, device, kind, *, partition, **options):
        self.partition = check_partition(partition)
        rank, world = self.partition
        self.total = {"train": len(train[1]), "test": len(test[1])}
        n_classes = int(max(np.max(train[1]), np.max(test[1]))) + 1
        super().__init__((train[0][rank::world], train[1][rank::world]), (test[0][rank::world], test[1][rank::world]),
                         device, kind, **options)
        self.n_classes = n_classes  # from every rank's labels, not only this rank's

    def size(self, split):
        return self.total[split]

    def local_size(self, split):
        return len(self.y[split])

    def epoch_batches(self, batch_size, generator):
        """This rank's part of every single-process training batch (same permutation, same draws)."""
        rank, world = self.partition
        perm = torch.randperm(self.size("train"), generator=generator)
        self._seed_augmentation(generator)
        for start in range(0, len(perm), batch_size):
            idx = perm[start : start + batch_size]
            pos, rows = local_positions(idx, rank, world)
            rows = rows.to(self.device)
            targets = self.y["train"][rows]
            self._remember(targets, len(idx))
            yield self._local_inputs(self.x["train"][rows], pos.to(self.device), len(idx)), targets

    def _local_inputs(self, xb, pos, batch):
        """Inputs of the local rows; random draws made for the whole global batch of ``batch`` rows."""
        if self.kind == "text":
            mask = xb != 0
            if self.token_dropout > 0:
                draws = torch.rand((batch, xb.shape[1]), device=xb.device, generator=self._aug)[pos]
                xb = torch.where((draws < self.token_dropout) & mask, torch.full_like(xb, self.unk_id), xb)
            return (xb, mask)
        images = (xb.float() / 255.0 - self.mean) / self.std
        if self.crop_pad:
            images = random_crop_flip(images, self.crop_pad, self._aug, flip=self.flip, rows=(batch, pos))
        return (images,)

    def eval_batches(self, split, batch_size):
        """This rank's examples of ``split``, in order (sum the results over ranks)."""
        for start in range(0, self.local_size(split), batch_size):
            yield (self._inputs(self.x[split][start : start + batch_size], train=False),
                   self.y[split][start : start + batch_size])


class ShardedLanguageModelData(_TrainingShare, LanguageModelData):
    """:class:`LanguageModelData` holding the windows ``k`` with ``k % W == r`` on ``device``.

    Training windows start at a random phase each epoch, so a rank keeps for each of its windows the
    tokens from its phase-0 start up to two windows on (``2 L + 1`` tokens): about ``2/W`` of the
    training stream per rank. Test windows do not move: ``(L + 1)/L`` of ``1/W`` of the test stream.
    """

    def __init__(self, train, test, device, seq_len, *, partition):
        self.partition = check_partition(partition)
        rank, world = self.partition
        train, test = np.asarray(train), np.asarray(test)
        for s, t in (("train", train), ("test", test)):
            if len(t) < 2:
                raise ValueError(f"language model data: the {s} stream has {len(t)} tokens")
        self.device, self.seq_len, self.kind = torch.device(device), int(seq_len), "lm"
        self.length = {"train": len(train), "test": len(test)}
        L = self.seq_len
        n_train = max((len(train) - 1) // L, 1)  # phase 0 gives the most windows
        mine = np.arange(rank, n_train, world)
        chunks = np.zeros((len(mine), 2 * L + 1), dtype="int64")
        for row, k in enumerate(mine):
            piece = train[k * L : k * L + 2 * L + 1]
            chunks[row, : len(piece)] = piece
        self.chunks = torch.as_tensor(chunks).to(self.device)
        n_test = (len(test) - 1) // L
        windows = np.stack([test[k * L : k * L + L + 1] for k in range(rank, n_test, world)]) if rank < n_test \
            else np.zeros((0, L + 1), dtype="int64")
        self.test_windows = torch.as_tensor(windows.astype("int64")).to(self.device)
        rest = len(test) - 1 - n_test * L
        self.test_rest = None
        if rest and n_test % world == rank:  # the shorter last window
            self.test_rest = torch.as_tensor(test[n_test * L :].astype("int64")).to(self.device)

    def size(self, split):
        return max((self.length[split] - 1) // self.seq_len, 1)

    def epoch_batches(self, batch_size, generator):
        """This rank's windows of every single-process training batch (same phase, same permutation)."""
        rank, world = self.partition
        T, L = self.length["train"], self.seq_len
        phase = int(torch.randint(0, L, (1,), generator=generator)) if T - 1 >= 2 * L else 0
        n = max((T - 1 - phase) // L, 1)
        L = min(L, T - 1 - phase)  # a stream shorter than one window: a single shorter window
        perm = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            _, rows = local_positions(idx, rank, world)
            windows = self.chunks[rows.to(self.device)]
            targets = windows[:, phase + 1 : phase + 1 + L]
            self._remember(targets, len(idx))
            yield (windows[:, phase : phase + L],), targets

    def eval_batches(self, split, batch_size):
        """This rank's test windows in order, the shorter last one alone (sum the results over ranks)."""
        if split != "test":
            raise ValueError(f"a sharded language-model dataset evaluates the test split only, not {split!r}")
        windows = self.test_windows
        for start in range(0, len(windows), batch_size):
            part = windows[start : start + batch_size]
            yield (part[:, :-1],), part[:, 1:]
        if self.test_rest is not None:
            yield (self.test_rest[:-1].view(1, -1),), self.test_rest[1:].view(1, -1)
