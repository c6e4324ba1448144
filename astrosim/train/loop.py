"""The training loop: AdamW with warm-up and cosine decay, bf16 autocast on GPU, per-epoch
evaluation, logs and checkpoints, exact resume, and divergence (NaN/inf loss) recorded as a result."""
import contextlib
import json
import math
import platform
import resource
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from astrosim.train import distributed
from astrosim.train.checkpoint import load_checkpoint, save_checkpoint
from astrosim.train.progress import Progress
from astrosim.train.runlog import json_safe, write_history

__all__ = ["TrainConfig", "Diverged", "train", "evaluate_model", "pick_device", "count_parameters"]


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved as ``config.json`` in the run folder)."""

    task: str
    attention: str
    out: str
    preset: str = None
    epochs: int = 10
    seed: int = 0
    batch_size: int = 64
    eval_batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.05
    min_lr_ratio: float = 0.0
    clip: float = 1.0
    device: str = None
    amp: bool = True
    limit: int = None
    limit_test: int = None
    resume: bool = False
    time_budget: float = None
    progress: bool = True
    model: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)


class Diverged(RuntimeError):
    """The training loss became NaN or infinite."""


def pick_device(name=None):
    """``torch.device(name)``, or CUDA when available, else CPU."""
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def count_parameters(model):
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _autocast(device, enabled):
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _peak_memory_mb(device):
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def evaluate_model(model, data, split, batch_size, device, amp=True):
    """Mean loss per prediction and accuracy of ``model`` on ``split`` (one host sync at the end)."""
    model.eval()
    loss_sum = torch.zeros((), device=device, dtype=torch.float64)
    correct = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    with torch.no_grad(), _autocast(device, amp):
        for inputs, targets in data.eval_batches(split, batch_size):
            loss, hits, n = data.loss_and_correct(model(*inputs), targets)
            loss_sum += loss.double()
            correct += hits
            count += n
    if getattr(data, "partition", None):  # a DDP rank's share of the data: add up every rank's
        dist = distributed.current()
        loss_sum, correct, count = dist.total(loss_sum), dist.total(correct), dist.total(count)
    mean = float(loss_sum) / max(count, 1)
    out = {"loss": mean, "acc": float(correct) / max(count, 1)}
    if data.kind == "lm":
        out["ppl"] = math.exp(mean) if mean < 700 else float("inf")
    return out


def _schedule(optimizer, total_steps, warmup_frac, min_ratio):
    warm = max(1, int(round(warmup_frac * total_steps)))

    def factor(step):
        if step < warm:
            return (step + 1) / warm
        progress = min(1.0, (step - warm) / max(1, total_steps - warm))
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "embed" in name.lower() or "norm" in name.lower() else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def train(cfg, model, data, *, meta=None, on_epoch_end=None, on_step=None):
    """Train ``model`` on ``data`` as ``cfg`` says; returns the run summary (also in ``summary.json``).

    Parameters
    ----------
    cfg : TrainConfig
    model : torch.nn.Module
        Built with ``torch.manual_seed(cfg.seed)`` already applied by the caller.
    data : ClassificationData or LanguageModelData
    meta : dict, optional
        Extra facts stored in ``config.json`` (vocabulary size, tokenisation, ...).
    on_epoch_end, on_step : callable, optional
        Hooks ``f(epoch, record)`` / ``f(epoch, step)`` (used by tests to interrupt a run).
    """
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    model.to(device)
    dist = distributed.current()  # DDP under torchrun: rank 0 writes; ranks share each global batch
    net, data = dist.wrap(model, device), dist.shard(data)
    optimizer = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.98))
    steps_per_epoch = data.steps(cfg.batch_size)
    scheduler = _schedule(optimizer, cfg.epochs * steps_per_epoch, cfg.warmup, cfg.min_lr_ratio)
    history, start_epoch = [], 0
    ckpt = out / "checkpoint.pt"
    if cfg.resume and ckpt.exists():
        state = load_checkpoint(ckpt, model=model, optimizer=optimizer, scheduler=scheduler, map_location=device)
        history, start_epoch = state["history"], state["epoch"]
        if dist.is_main:
            print(f"resuming {out} after epoch {start_epoch}")
    elif (out / "metrics.jsonl").exists() and not cfg.resume:
        raise FileExistsError(f"{out} already holds a run; pass --resume to continue it or choose another --out")
    dist.barrier()
    params = count_parameters(model)
    info = {"config": asdict(cfg), "parameters": params, "device": str(device),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
            "torch": torch.__version__, "train_examples": data.size("train"), "test_examples": data.size("test"),
            "steps_per_epoch": steps_per_epoch, **(meta or {})}
    if dist.is_main:
        (out / "config.json").write_text(json.dumps(json_safe(info), indent=1))
        write_history(out, history)
    status, diverged_at = "completed", None
    started = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for epoch in range(start_epoch + 1, cfg.epochs + 1):
        if cfg.time_budget and history:
            per_epoch = sum(r["epoch_s"] + r["eval_s"] for r in history[start_epoch:] or history) / max(1, len(history[start_epoch:] or history))
            if dist.agree(time.perf_counter() - started + per_epoch > cfg.time_budget):
                status = "time-budget"
                break
        model.train()
        gen = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        loss_sum = torch.zeros((), device=device, dtype=torch.float64)
        correct = torch.zeros((), device=device, dtype=torch.long)
        seen = 0
        bar = Progress(steps_per_epoch, f"{cfg.task}/{cfg.attention} s{cfg.seed} e{epoch}/{cfg.epochs}", enabled=cfg.progress and dist.is_main)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        for step, (inputs, targets) in enumerate(data.epoch_batches(cfg.batch_size, gen)):
            with _autocast(device, cfg.amp):
                logits = net(*inputs)
            loss, hits, n = data.loss_and_correct(logits, targets)
            optimizer.zero_grad(set_to_none=True)
            (loss / n).backward()
            if cfg.clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            optimizer.step()
            scheduler.step()
            loss_sum += loss.detach().double()
            correct += hits
            seen += n
            if step % 50 == 49 or step == steps_per_epoch - 1:
                running = float(dist.total(loss_sum)) / dist.total(seen)
                if not math.isfinite(running):
                    diverged_at = {"epoch": epoch, "step": step + 1}
                    break
                bar.update(step + 1 - bar.n, postfix=f"loss {running:.4f}")
            if on_step is not None:
                on_step(epoch, step)
        bar.close()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        train_s = time.perf_counter() - t0
        loss_sum, correct, seen = dist.total(loss_sum), dist.total(correct), dist.total(seen)
        if diverged_at is not None:
            status = "diverged"
            history.append({"epoch": epoch, "status": "diverged", "diverged_at_step": diverged_at["step"],
                            "train_loss": float("nan")})
            if dist.is_main:
                write_history(out, history)
            print(f"DIVERGED: training loss became non-finite at epoch {epoch}, step {diverged_at['step']}")
            break
        t1 = time.perf_counter()
        test = evaluate_model(model, data, "test", cfg.eval_batch_size, device, cfg.amp)
        eval_s = time.perf_counter() - t1
        record = {"epoch": epoch, "train_loss": float(loss_sum) / seen, "train_acc": float(correct) / seen,
                  "test_loss": test["loss"], "test_acc": test["acc"], "lr": scheduler.get_last_lr()[0],
                  "epoch_s": train_s, "eval_s": eval_s, "examples_per_s": data.size("train") / train_s,
                  "peak_mem_mb": _peak_memory_mb(device), "elapsed_s": time.perf_counter() - started}
        if data.kind == "lm":
            record["test_ppl"] = test["ppl"]
            record["train_ppl"] = math.exp(min(record["train_loss"], 700))
            record["tokens_per_s"] = seen / train_s
        history.append(record)
        if dist.is_main:
            save_checkpoint(ckpt, model=model, optimizer=optimizer, scheduler=scheduler, epoch=epoch, history=history)
            write_history(out, history)
        shown = f"test ppl {test['ppl']:.2f}" if data.kind == "lm" else f"test acc {test['acc']:.4f}"
        if dist.is_main:
            print(f"epoch {epoch}: train loss {record['train_loss']:.4f} {shown} "
                  f"({train_s:.1f}s, {record['examples_per_s']:.0f} ex/s)", flush=True)
        if not math.isfinite(test["loss"]):
            status, diverged_at = "diverged", {"epoch": epoch, "step": "eval"}
            print(f"DIVERGED: test loss is non-finite after epoch {epoch}")
            break
        if on_epoch_end is not None:
            on_epoch_end(epoch, record)
    done = [r for r in history if r.get("status") != "diverged"]
    summary = {"status": status, "epochs_done": len(done), "parameters": params, "diverged_at": diverged_at,
               "final": done[-1] if done else None}
    if dist.is_main:
        (out / "summary.json").write_text(json.dumps(json_safe(summary), indent=1))
    return summary
