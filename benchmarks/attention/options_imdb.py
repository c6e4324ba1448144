"""Small CPU comparison of astromorphic option choices on an IMDB subset (evidence for the defaults).

Usage: python benchmarks/attention/options_imdb.py [--train 4000 --test 2000 --max-len 200 --epochs 4
       --seeds 0 1 --prepared DIR --out results.json]
Prints one line per (variant, seed, epoch) and a summary table of final test accuracy.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from astrosim.data.imdb import load_imdb
from astrosim.models.transformers import TextClassifier, TextClassifierConfig

from variants import VARIANTS as _ALL  # run as a script: this folder is on sys.path

# the Eq. 11 scale placement was only compared on the synthetic tasks
VARIANTS = {name: spec for name, spec in _ALL.items() if name != "astro-paper-eq11"}


def run(name, seed, data, args):
    kind, options = VARIANTS[name]
    torch.manual_seed(seed)
    cfg = TextClassifierConfig(vocab_size=args.vocab, max_len=args.max_len, dim=args.dim, heads=4, ffn_mult=2,
                               attention=kind, attention_options=dict(options), dropout=0.1)
    model = TextClassifier(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    (xtr, ytr), (xte, yte) = data
    gen = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        for idx in torch.randperm(len(xtr), generator=gen).split(args.batch):
            x = xtr[idx]
            loss = F.cross_entropy(model(x, x != 0), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x, x != 0).argmax(-1) == y).sum().item()
                          for x, y in zip(xte.split(500), yte.split(500)))
        acc = correct / len(xte)
        history.append(acc)
        print(f"{name:24s} seed={seed} epoch={epoch + 1} test_acc={acc:.4f} "
              f"epoch_s={time.perf_counter() - t0:.1f}", flush=True)
    return history


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", type=int, default=4000)
    p.add_argument("--test", type=int, default=2000)
    p.add_argument("--max-len", type=int, default=200)
    p.add_argument("--vocab", type=int, default=20000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS))
    p.add_argument("--prepared", default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    d = load_imdb(max_len=args.max_len, vocab_size=args.vocab, limit=args.train, limit_test=args.test,
                  prepared=args.prepared)
    data = tuple((torch.as_tensor(x.astype(np.int64)), torch.as_tensor(y.astype(np.int64)))
                 for x, y in (d["train"], d["test"]))
    results = {name: [run(name, s, data, args) for s in args.seeds] for name in args.variants}
    print(f"\n| variant | final test acc (mean ± std over seeds {args.seeds}) | best epoch acc |")
    print("|---|---|---|")
    for name, runs in results.items():
        final = np.array([r[-1] for r in runs])
        best = np.array([max(r) for r in runs])
        print(f"| {name} | {final.mean():.4f} ± {final.std():.4f} | {best.mean():.4f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
