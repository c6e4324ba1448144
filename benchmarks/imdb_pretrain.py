"""IMDB without GloVe: masked-token pretraining on the training reviews' text, then the usual fine-tuning.

Only the 25k *training* reviews are used for pretraining (their text, no labels); the test reviews
are seen only at evaluation. Pretraining: 15 % of the real tokens are chosen; of those 80 % become a
[MASK] id (one extra vocabulary row), 10 % a random word and 10 % stay; the encoder (the classifier's
own embedding and blocks, non-causal) predicts them through a small head tied to the embedding.
Fine-tuning: ``astrosim.train.loop.train`` on the labelled reviews, same recipe as docs/results.md
(AdamW, warm-up + cosine, lr 5e-4, 3 epochs, batch 64).

Usage: python benchmarks/imdb_pretrain.py --kind astromorphic --seed 0 --prepared DIR --out runs/x
           [--max-len 512 --pretrain-epochs 10 --pretrain-batch 256 --pretrain-lr 1e-3 --epochs 3]
Writes ``pretrain.json`` (loss per pretraining epoch) beside the fine-tuning logs.
"""
import argparse
import json
import math
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from astrosim.data.imdb import load_imdb
from astrosim.models import transformers as T
from astrosim.train.batches import ClassificationData
from astrosim.train.loop import TrainConfig, pick_device, train


class MaskedTokenHead(nn.Module):
    """Dense + GELU + LayerNorm, then logits against the (tied) token embedding."""

    def __init__(self, dim, embedding):
        super().__init__()
        self.dense, self.norm, self.embedding = nn.Linear(dim, dim), nn.LayerNorm(dim), embedding
        self.bias = nn.Parameter(torch.zeros(embedding.num_embeddings))

    def forward(self, h):
        return self.norm(F.gelu(self.dense(h))) @ self.embedding.weight.T + self.bias


def encode(model, tokens, mask):
    """The classifier's token states before pooling, (B, N, D)."""
    x = model.drop(model.proj(model.tok(tokens)) + model.pos(tokens.shape[1]))
    for block in model.blocks:
        x = block(x, mask)
    return model.ln_f(x)


def corrupt(tokens, mask_id, vocab, gen, rate=0.15):
    """(inputs, chosen positions, targets) for masked-token prediction."""
    real = tokens > 0
    pick = (torch.rand(tokens.shape, generator=gen, device=tokens.device) < rate) & real
    roll = torch.rand(tokens.shape, generator=gen, device=tokens.device)
    inputs = tokens.clone()
    inputs[pick & (roll < 0.8)] = mask_id
    rand = pick & (roll >= 0.8) & (roll < 0.9)
    inputs[rand] = torch.randint(2, vocab, (int(rand.sum()),), generator=gen, device=tokens.device)
    return inputs, pick, tokens[pick]


def pretrain(model, x, epochs, batch, lr, mask_id, vocab, seed, device, log):
    head = MaskedTokenHead(model.config.dim, model.tok).to(device)
    params = list(model.parameters()) + [p for n, p in head.named_parameters() if not n.startswith("embedding")]
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    steps = epochs * math.ceil(len(x) / batch)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
    gen = torch.Generator(device=device).manual_seed(seed)
    model.train()
    for epoch in range(1, epochs + 1):
        t0, total, count = time.perf_counter(), torch.zeros((), device=device), 0
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed * 1000 + epoch)).to(device)
        for i in range(0, len(x), batch):
            tokens = x[order[i:i + batch]]
            mask = tokens > 0
            inputs, pick, targets = corrupt(tokens, mask_id, vocab, gen)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                logits = head(encode(model, inputs, mask)[pick])
            loss = F.cross_entropy(logits.float(), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            total += loss.detach() * len(targets)
            count += len(targets)
        rec = {"epoch": epoch, "mlm_loss": float(total) / max(count, 1), "seconds": time.perf_counter() - t0}
        log.append(rec)
        print(f"pretrain epoch {epoch}: masked-token loss {rec['mlm_loss']:.3f} ({rec['seconds']:.1f}s)", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", required=True, choices=("astromorphic", "kozachkov", "linear", "softmax"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prepared", required=True, help="folder written by astrosim.data.imdb.prepare_imdb")
    p.add_argument("--out", required=True)
    p.add_argument("--max-len", type=int, default=512)
    p.add_argument("--pretrain-epochs", type=int, default=10)
    p.add_argument("--pretrain-batch", type=int, default=256)
    p.add_argument("--pretrain-lr", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--limit", type=int, default=None, help="reviews per split (smoke runs)")
    args = p.parse_args()
    device = pick_device(None)
    d = load_imdb(max_len=args.max_len, vocab_size=20_000, prepared=args.prepared, limit=args.limit)
    vocab = len(d["vocab"])
    mask_id = vocab  # one extra embedding row
    torch.manual_seed(args.seed)
    model = T.TextClassifier(T.TextClassifierConfig(vocab_size=vocab + 1, num_classes=2, max_len=args.max_len, dim=128,
                                                    heads=4, layers=1, dropout=0.2, attention=args.kind)).to(device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = []
    x_train = torch.as_tensor(d["train"][0].astype("int64"), device=device)
    if args.pretrain_epochs:
        pretrain(model, x_train, args.pretrain_epochs, args.pretrain_batch, args.pretrain_lr, mask_id, vocab,
                 args.seed, device, log)
    (out / "pretrain.json").write_text(json.dumps({"text": "IMDB training reviews only", "mask_rate": 0.15,
                                                   "epochs": log}, indent=1))
    data = ClassificationData(d["train"], d["test"], device, "text", unk_id=d["vocab"].unk)
    cfg = TrainConfig(task="imdb", attention=args.kind, out=str(out), epochs=args.epochs, seed=args.seed,
                      batch_size=64, lr=args.lr, weight_decay=0.05, warmup=0.05, progress=False,
                      model={"dim": 128, "heads": 4, "layers": 1, "dropout": 0.2},
                      data={"max_len": args.max_len, "pretrain_epochs": args.pretrain_epochs})
    summary = train(cfg, model, data, meta={"pretraining": "masked tokens on the training reviews",
                                            "vocab_size": vocab + 1})
    print(f"{args.kind} s{args.seed}: test acc {summary['final']['test_acc']:.4f}")


if __name__ == "__main__":
    main()
