"""Rank functions for the DDP tests (imported by name in the spawned rank processes)."""
from astrosim.train.loop import TrainConfig
from astrosim.train.session import run_training


class Interrupted(Exception):
    """Stands for the job being stopped."""


def train(jobs, source):
    """Run ``jobs`` one after another in these ranks: ``(TrainConfig field dict, stop after epoch or None)``.

    A stopped job ends as a killed job would: after its checkpoint, without a summary.
    """
    for config, stop_after_epoch in jobs:
        def stop(epoch, record, last=stop_after_epoch):
            if epoch == last:
                raise Interrupted

        try:
            run_training(TrainConfig(**config), source=source, on_epoch_end=stop)
        except Interrupted:
            pass
