"""Rank functions for the DDP tests (imported by name in the spawned rank processes)."""
import json
from pathlib import Path

from astrosim.train import distributed
from astrosim.train.loop import TrainConfig
from astrosim.train.session import _setup, run_training


class Interrupted(Exception):
    """Stands for the job being stopped."""


def train(jobs, source, shares=None):
    """Run ``jobs`` one after another in these ranks: ``(TrainConfig field dict, stop after epoch or None)``.

    A stopped job ends as a killed job would: after its checkpoint, without a summary. With
    ``shares`` (a folder), each rank also writes how many examples the first job's data put on it.
    """
    for config, stop_after_epoch in jobs:
        def stop(epoch, record, last=stop_after_epoch):
            if epoch == last:
                raise Interrupted

        try:
            run_training(TrainConfig(**config), source=source, on_epoch_end=stop)
        except Interrupted:
            pass
    if shares is not None:
        _, data, _, _ = _setup(TrainConfig(**jobs[0][0]), source)
        rank = distributed.current().rank
        held = {split: int(len(data.y[split])) for split in ("train", "test")}
        (Path(shares) / f"rank{rank}.json").write_text(json.dumps({"held": held, "partition": data.partition,
                                                                  "sizes": [data.size("train"), data.size("test")]}))
