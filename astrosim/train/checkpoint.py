"""Atomic training checkpoints holding model, optimiser, schedule, history and random states."""
import os
from pathlib import Path

import torch

__all__ = ["save_checkpoint", "load_checkpoint"]


def save_checkpoint(path, *, model, optimizer, scheduler, epoch, history, extra=None):
    """Write everything needed to continue after ``epoch`` (atomic rename)."""
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": epoch,
        "history": history,
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "extra": extra or {},
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path, *, model, optimizer=None, scheduler=None, restore_rng=True, map_location="cpu"):
    """Load a checkpoint into the given objects; returns the stored dict (epoch, history, extra)."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as err:  # a truncated file from a killed writer never gets here (atomic rename)
        raise RuntimeError(f"checkpoint {path}: cannot be read ({err})") from err
    model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if restore_rng:
        torch.set_rng_state(state["rng_cpu"])
        if state.get("rng_cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng_cuda"])
    return state
