"""The paper-size causal language model (D = 768, 6 heads, 1 layer, 512 tokens) on a word-level corpus.

Kinds: astromorphic, kozachkov, softmax (all causal), and ``leak``: the astromorphic layer in its
literal non-causal form inside the same decoder, so every position reads a store that already holds
the tokens it must predict (its perplexity is not a language-model result; it shows the leak).

Usage: python benchmarks/paper_lm.py --kind astromorphic --seed 0 --out runs/lm-astro-s0 \
           [--task sotu --source PREPARED_DIR --epochs 10 --lr 5e-4 --batch-size 24 --time-budget 400]
Logs (metrics.jsonl/csv, config.json, summary.json) as ``astrosim train`` writes them.
"""
import argparse

import torch

from astrosim.train.loop import TrainConfig, pick_device, train
from astrosim.train.tasks import build_model, load_task_data

KINDS = ("astromorphic", "kozachkov", "softmax", "leak")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", choices=KINDS, required=True)
    p.add_argument("--task", default="sotu", choices=("sotu", "wikitext2"))
    p.add_argument("--source", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--batch-size", type=int, default=24)
    p.add_argument("--seq-len", type=int, default=512)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--time-budget", type=float, default=None)
    p.add_argument("--limit", type=int, default=None, help="training windows (smoke runs)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    attention = "astromorphic" if args.kind == "leak" else args.kind
    model_opts = {"dim": 768, "heads": 6, "layers": 1, "dropout": args.dropout}
    data_opts = {"seq_len": args.seq_len, "min_count": 3}
    cfg = TrainConfig(task=args.task, attention=attention, out=args.out, epochs=args.epochs, seed=args.seed,
                      batch_size=args.batch_size, eval_batch_size=64, lr=args.lr, weight_decay=0.1, warmup=0.05,
                      time_budget=args.time_budget, progress=False, limit=args.limit, limit_test=args.limit, model=model_opts, data=data_opts)
    device = pick_device(None)
    data, meta = load_task_data(args.task, device, limit=args.limit, limit_test=args.limit, data_options=data_opts,
                                source=args.source)
    torch.manual_seed(args.seed)
    model = build_model(args.task, attention, meta, model_opts)
    if args.kind == "leak":
        for block in model.blocks:
            block.attn.causal = False  # the literal form: one store over the whole window
    meta = {**meta, "kind": args.kind, "causal_attention": args.kind != "leak",
            "attention_backend": getattr(model.blocks[0].attn, "backend", "sdpa")}
    summary = train(cfg, model, data, meta=meta)
    final = summary["final"] or {}
    print(f"{args.kind} s{args.seed}: {summary['status']} after {summary['epochs_done']} epochs, "
          f"test ppl {final.get('test_ppl', float('nan')):.2f}")


if __name__ == "__main__":
    main()
