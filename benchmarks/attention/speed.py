"""Forward+backward time of the attention modules against sequence length (CPU or GPU).

Usage: python benchmarks/attention/speed.py [--device cpu --lengths 128 256 512 1024 --dim 128 --heads 4
       --batch 4 --repeats 3 --threads 1]
Prints a markdown table of milliseconds per forward+backward and the ratio to softmax.
"""
import argparse
import time

import torch

from astrosim.models.transformers import build_attention

CASES = [
    ("astromorphic", False, {}), ("astromorphic", True, {}), ("astromorphic", True, {"sigma": False}),
    ("linear", False, {}), ("linear", True, {}), ("softmax", False, {}), ("softmax", True, {}),
]


def _time(module, x, repeats, device):
    def step():
        module.zero_grad(set_to_none=True)
        module(x).sum().backward()
        if device == "cuda":
            torch.cuda.synchronize()
    step()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu")
    p.add_argument("--lengths", type=int, nargs="+", default=[128, 256, 512, 1024])
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    names = [f"{k}{'-causal' if c else ''}{'-nosigma' if o else ''}" for k, c, o in CASES]
    print(f"device={args.device} B={args.batch} D={args.dim} H={args.heads} threads={args.threads}")
    print("| N | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for n in args.lengths:
        x = torch.randn(args.batch, n, args.dim, device=args.device)
        cells, times = [], {}
        for (kind, causal, opts), name in zip(CASES, names):
            module = build_attention(kind, args.dim, args.heads, causal=causal, max_len=n,
                                     **opts).to(args.device)
            times[name] = _time(module, x, args.repeats, args.device)
        for name in names:
            base = times["softmax-causal" if "causal" in name else "softmax"]
            cells.append(f"{times[name]:.1f} ({times[name] / base:.2f}×)")
        print(f"| {n} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
