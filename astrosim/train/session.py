"""Set up and run one training session from a :class:`TrainConfig` (data, model, loop)."""
import json
from pathlib import Path

import torch

from astrosim.train import distributed
from astrosim.train.loop import TrainConfig, evaluate_model, pick_device, train
from astrosim.train.tasks import build_model, load_task_data, settings_for

__all__ = ["make_config", "run_training", "load_run", "evaluate_run"]


def make_config(task, attention, out, *, preset=None, model=None, data=None, **overrides):
    """A :class:`TrainConfig` from the task defaults, the preset and explicit overrides (None = default)."""
    base = settings_for(task, preset)
    base["model"].update(model or {})
    base["data"].update(data or {})
    for k, v in overrides.items():
        if v is not None:
            base[k] = v
    return TrainConfig(task=task, attention=attention, out=str(out), preset=preset, **base)


def _setup(cfg, source=None):
    device = pick_device(cfg.device)
    dist = distributed.current()
    with dist.main_first():  # DDP: rank 0 fills the data cache before the others read it; each keeps its share
        data, meta = load_task_data(cfg.task, device, limit=cfg.limit, limit_test=cfg.limit_test,
                                    data_options=cfg.data, source=source, partition=dist.partition)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.task, cfg.attention, meta, cfg.model, preset=cfg.preset)
    return device, data, meta, model


def run_training(cfg, *, source=None, on_epoch_end=None, on_step=None):
    """Load the data, build the model (seeded) and train; returns the summary dict."""
    if cfg.resume and (Path(cfg.out) / "config.json").exists():
        saved = json.loads((Path(cfg.out) / "config.json").read_text())["config"]
        for key in ("task", "attention", "preset", "seed", "batch_size", "lr", "model", "data", "limit"):
            if saved.get(key) != getattr(cfg, key):
                raise ValueError(f"--resume: {cfg.out} was started with {key}={saved.get(key)!r}, "
                                 f"not {getattr(cfg, key)!r}")
    _, data, meta, model = _setup(cfg, source)
    if source is not None:
        meta = {**meta, "source": str(source)}
    return train(cfg, model, data, meta=meta, on_epoch_end=on_epoch_end, on_step=on_step)


def load_run(run_dir, device=None):
    """Rebuild a run's config, data and model with its last checkpoint's weights."""
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "config.json").read_text())
    cfg = TrainConfig(**info["config"])
    if device:
        cfg.device = device
    cfg.resume = True
    _, data, meta, model = _setup(cfg, info.get("source"))
    state = torch.load(run_dir / "checkpoint.pt", map_location=pick_device(cfg.device), weights_only=False)
    model.load_state_dict(state["model"])
    model.to(pick_device(cfg.device))
    return cfg, data, model, state


def evaluate_run(run_dir, device=None):
    """Test metrics of a run's last checkpoint (written to ``eval.json``)."""
    cfg, data, model, state = load_run(run_dir, device)
    result = evaluate_model(model, data, "test", cfg.eval_batch_size, pick_device(cfg.device), cfg.amp)
    result["epoch"] = state["epoch"]
    (Path(run_dir) / "eval.json").write_text(json.dumps(result, indent=1))
    return result
