"""Each DDP rank's share of the data: the union of the shares is the single-process data, batch by batch."""
import numpy as np
import pytest
import torch

from astrosim.train.batches import ClassificationData, LanguageModelData
from astrosim.train.sharded import ShardedClassificationData, ShardedLanguageModelData


def _text(n, rng):
    x = rng.integers(0, 50, size=(n, 12))
    x[:, 9:] = 0  # padding
    return x, rng.integers(0, 3, size=n)


def _images(n, rng):
    return rng.integers(0, 256, size=(n, 1, 6, 6), dtype=np.uint8), rng.integers(0, 10, size=n)


def _classification(kind, world, rng_seed=0, **options):
    rng = np.random.default_rng(rng_seed)
    make = _text if kind == "text" else _images
    train, test = make(37, rng), make(11, rng)
    whole = ClassificationData(train, test, "cpu", kind, **options)
    shares = [ShardedClassificationData(train, test, "cpu", kind, partition=(r, world), **options)
              for r in range(world)]
    return whole, shares


def _rows(batch):
    """Each example of a batch as bytes (inputs and target), for comparing as a multiset."""
    inputs, targets = batch
    return sorted(b"".join(x[i].numpy().tobytes() for x in inputs) + targets[i].numpy().tobytes()
                  for i in range(len(targets)))


def _epoch(data, batch_size, seed=3):
    return list(data.epoch_batches(batch_size, torch.Generator().manual_seed(seed)))


@pytest.mark.parametrize("kind,options", [("text", {"token_dropout": 0.3, "unk_id": 1}),
                                          ("image", {"crop_pad": 2, "flip": True})])
@pytest.mark.parametrize("world", [2, 3])
def test_shares_make_up_every_global_batch_with_the_same_augmentation(kind, options, world):
    whole, shares = _classification(kind, world, **options)
    expected = _epoch(whole, 8)
    per_rank = [_epoch(s, 8) for s in shares]
    assert all(len(p) == len(expected) == whole.steps(8) == s.steps(8) for p, s in zip(per_rank, shares))
    for step, batch in enumerate(expected):
        joined = sorted(sum((_rows(p[step]) for p in per_rank), []))
        assert joined == _rows(batch)
    # each rank holds its rows only, the sizes and classes are the global ones
    assert sum(s.local_size("train") for s in shares) == 37 and max(s.local_size("train") for s in shares) <= 37 // world + 1
    assert all(len(s.x["train"]) == s.local_size("train") for s in shares)
    assert all(s.size("train") == 37 and s.size("test") == 11 and s.n_classes == whole.n_classes for s in shares)


def test_training_count_is_the_global_batch_over_the_ranks_and_evaluation_is_the_local_one():
    whole, shares = _classification("text", 2)
    for inputs, targets in shares[1].epoch_batches(8, torch.Generator().manual_seed(0)):
        logits = torch.zeros(len(targets), 3)
        assert shares[1].loss_and_correct(logits, targets)[2] == 4.0  # 8 (or the last 5) / 2 ranks
        break
    counted = [sum(len(t) for _, t in s.eval_batches("test", 4)) for s in shares]
    assert counted == [6, 5]
    joined = sorted(sum((_rows(b) for s in shares for b in s.eval_batches("test", 4)), []))
    assert joined == sorted(sum((_rows(b) for b in whole.eval_batches("test", 4)), []))


@pytest.mark.parametrize("length", [200, 23, 15])  # many windows, fewer than two windows, shorter than one
@pytest.mark.parametrize("world", [2, 3])
def test_language_model_shares_make_up_every_batch_and_the_test_windows(length, world):
    rng = np.random.default_rng(1)
    train, test = rng.integers(0, 99, size=length), rng.integers(0, 99, size=47)
    whole = LanguageModelData(train, test, "cpu", 8)
    shares = [ShardedLanguageModelData(train, test, "cpu", 8, partition=(r, world)) for r in range(world)]
    for seed in range(4):  # several phases
        expected = _epoch(whole, 3, seed)
        per_rank = [_epoch(s, 3, seed) for s in shares]
        assert all(len(p) == len(expected) for p in per_rank)
        for step, batch in enumerate(expected):
            assert sorted(sum((_rows(p[step]) for p in per_rank), [])) == _rows(batch)
    # test windows: every window (and the shorter last one) exactly once
    split = lambda d: sorted(sum((_rows(b) for b in d.eval_batches("test", 2)), []))  # noqa: E731
    assert sorted(sum((split(s) for s in shares), [])) == split(whole)
    if length == 200:  # a rank holds about 2/W of the training stream
        assert shares[0].chunks.numel() <= 2.2 * length / world


def test_a_bad_partition_is_refused():
    rng = np.random.default_rng(0)
    train, test = _text(5, rng), _text(3, rng)
    with pytest.raises(ValueError, match="rank 2 is not one of the 2 ranks"):
        ShardedClassificationData(train, test, "cpu", "text", partition=(2, 2))
