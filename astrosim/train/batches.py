"""Device-resident datasets batched by index slicing: classification (text, images) and language modelling."""
import math

import torch
import torch.nn.functional as F

__all__ = ["ClassificationData", "LanguageModelData", "random_crop_flip"]


def random_crop_flip(images, pad, generator_device_seed, flip=True, rows=None):
    """Random shifted crops (zero padding ``pad``) and horizontal flips of a float batch (B, C, H, W).

    Vectorised: one gather for the whole batch. ``generator_device_seed`` is a ``torch.Generator``
    on the images' device. ``rows=(batch, positions)``: the images are the rows at ``positions`` of
    a batch of ``batch`` images, and get the draws those rows get when the whole batch is augmented
    (a DDP rank's part of a global batch).
    """
    b, c, h, w = images.shape
    g = generator_device_seed
    drawn, pick = (b, slice(None)) if rows is None else rows
    padded = F.pad(images, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (drawn, 1, 1), device=images.device, generator=g)[pick]
    dx = torch.randint(0, 2 * pad + 1, (drawn, 1, 1), device=images.device, generator=g)[pick]
    rows = torch.arange(h, device=images.device).view(1, h, 1) + dy
    cols = torch.arange(w, device=images.device).view(1, 1, w) + dx
    if flip:
        mirror = torch.rand(drawn, 1, 1, device=images.device, generator=g)[pick] < 0.5
        cols = torch.where(mirror, cols.flip(-1), cols)
    bi = torch.arange(b, device=images.device).view(b, 1, 1)
    out = padded.permute(0, 2, 3, 1)[bi, rows, cols]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous()


class ClassificationData:
    """Inputs and labels kept on ``device``; batches are slices of a per-epoch permutation.

    Parameters
    ----------
    train, test : (x, y) numpy arrays
        Token ids (n, N) or uint8 images (n, C, H, W); integer labels.
    device : torch.device
    kind : {'text', 'image'}
        Text batches get a padding mask (id 0 = padding); images are scaled to [0, 1],
        standardised with ``mean``/``std`` and, in training, randomly shifted by ``crop_pad``
        pixels and flipped when ``flip``.
    token_dropout : float
        Text only: in training, each real token is replaced by ``<unk>`` (id ``unk_id``) with this
        probability (a regulariser).
    """

    def __init__(self, train, test, device, kind, *, mean=0.5, std=0.5, crop_pad=0, flip=False,
                 token_dropout=0.0, unk_id=1):
        self.kind, self.device = kind, torch.device(device)
        dtype = torch.long if kind == "text" else torch.uint8
        self.x = {"train": torch.as_tensor(train[0].astype("int64") if kind == "text" else train[0], dtype=dtype).to(self.device),
                  "test": torch.as_tensor(test[0].astype("int64") if kind == "text" else test[0], dtype=dtype).to(self.device)}
        self.y = {s: torch.as_tensor(d[1].astype("int64")).to(self.device) for s, d in (("train", train), ("test", test))}
        self.mean, self.std, self.crop_pad, self.flip = mean, std, crop_pad, flip
        self.token_dropout, self.unk_id = float(token_dropout), int(unk_id)
        self.n_classes = int(max(self.y["train"].max(), self.y["test"].max())) + 1
        self._aug = None

    def size(self, split):
        """Number of examples in ``split``."""
        return len(self.y[split])

    def steps(self, batch_size):
        """Training steps per epoch (the last batch may be smaller)."""
        return math.ceil(self.size("train") / batch_size)

    def _seed_augmentation(self, generator):
        """Seed the augmentation stream of an epoch from ``generator`` (when augmenting at all)."""
        wants_rng = self.crop_pad if self.kind == "image" else self.token_dropout > 0
        if wants_rng and self._aug is None:
            self._aug = torch.Generator(device=self.device)
        if self._aug is not None:
            self._aug.manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator)))

    def epoch_batches(self, batch_size, generator):
        """Yield ``(inputs, targets)`` training batches in the order of a permutation drawn from ``generator``."""
        perm = torch.randperm(self.size("train"), generator=generator).to(self.device)
        self._seed_augmentation(generator)
        for start in range(0, len(perm), batch_size):
            idx = perm[start : start + batch_size]
            yield self._inputs(self.x["train"][idx], train=True), self.y["train"][idx]

    def eval_batches(self, split, batch_size):
        """Yield ``(inputs, targets)`` over ``split`` in order."""
        for start in range(0, self.size(split), batch_size):
            yield self._inputs(self.x[split][start : start + batch_size], train=False), self.y[split][start : start + batch_size]

    def _inputs(self, xb, train):
        if self.kind == "text":
            mask = xb != 0
            if train and self.token_dropout > 0:
                drop = torch.rand(xb.shape, device=xb.device, generator=self._aug) < self.token_dropout
                xb = torch.where(drop & mask, torch.full_like(xb, self.unk_id), xb)
            return (xb, mask)
        images = (xb.float() / 255.0 - self.mean) / self.std
        if train and self.crop_pad:
            images = random_crop_flip(images, self.crop_pad, self._aug, flip=self.flip)
        return (images,)

    @staticmethod
    def loss_and_correct(logits, targets):
        """Summed cross-entropy, number correct and number of predictions."""
        loss = F.cross_entropy(logits.float(), targets, reduction="sum")
        return loss, (logits.argmax(-1) == targets).sum(), targets.numel()


class LanguageModelData:
    """Token streams on ``device`` cut into windows of ``seq_len``; a random phase each epoch.

    Evaluation uses non-overlapping windows from position 0 (the remainder forms one shorter
    window), every token after the first predicted once; perplexity = exp(mean NLL per token).
    """

    def __init__(self, train, test, device, seq_len):
        self.device, self.seq_len = torch.device(device), int(seq_len)
        self.stream = {"train": torch.as_tensor(train.astype("int64")).to(self.device),
                       "test": torch.as_tensor(test.astype("int64")).to(self.device)}
        for s, t in self.stream.items():
            if len(t) < 2:
                raise ValueError(f"language model data: the {s} stream has {len(t)} tokens")
        self.kind = "lm"

    def size(self, split):
        """Number of full windows in ``split``."""
        return max((len(self.stream[split]) - 1) // self.seq_len, 1)

    def steps(self, batch_size):
        """Training steps per epoch (upper bound; the phase may drop one window)."""
        return math.ceil(self.size("train") / batch_size)

    def epoch_batches(self, batch_size, generator):
        """Yield ``(inputs, targets)`` of shape (B, seq_len) from windows at a random phase."""
        s, L = self.stream["train"], self.seq_len
        phase = int(torch.randint(0, L, (1,), generator=generator)) if len(s) - 1 >= 2 * L else 0
        n = max((len(s) - 1 - phase) // L, 1)
        L = min(L, len(s) - 1 - phase)
        inputs = s[phase : phase + n * L].view(n, L)
        targets = s[phase + 1 : phase + 1 + n * L].view(n, L)
        perm = torch.randperm(n, generator=generator).to(self.device)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            yield (inputs[idx],), targets[idx]

    def eval_batches(self, split, batch_size):
        """Yield every window of ``split`` in order (the last one possibly shorter)."""
        s, L = self.stream[split], self.seq_len
        n = (len(s) - 1) // L
        if n:
            inputs, targets = s[: n * L].view(n, L), s[1 : n * L + 1].view(n, L)
            for start in range(0, n, batch_size):
                yield (inputs[start : start + batch_size],), targets[start : start + batch_size]
        rest = len(s) - 1 - n * L
        if rest:
            yield (s[n * L : n * L + rest].view(1, rest),), s[n * L + 1 :].view(1, rest)

    @staticmethod
    def loss_and_correct(logits, targets):
        """Summed next-token cross-entropy, top-1 hits and number of predicted tokens."""
        flat = logits.reshape(-1, logits.shape[-1]).float()
        loss = F.cross_entropy(flat, targets.reshape(-1), reduction="sum")
        return loss, (flat.argmax(-1) == targets.reshape(-1)).sum(), targets.numel()
