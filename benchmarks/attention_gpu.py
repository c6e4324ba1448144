"""GPU check and benchmark of the Triton astromorphic attention kernels beside PyTorch SDPA (flash).

Usage (on a CUDA machine):
    python benchmarks/attention_gpu.py --out results.json [--lengths 512 2048 8192 32768 65536]
        [--skip-check] [--skip-speed] [--skip-throughput] [--configs]

Sections (each prints a markdown table; everything also goes to --out as JSON):
  check       sigma store (Triton) against the explicit float64 prefix-sum formula, outputs and
              gradients, at every length (8 heads x 64, bf16 inputs); the whole layer against
              astrosim.attention.reference at N = 256.
  speed       forward + backward milliseconds (median of triton.testing.do_bench), B = 1, 8 heads x 64,
              bf16: SDPA flash causal / non-causal; fla's chunk_linear_attn (causal linear attention,
              where fla is installed); the Triton sigma store alone; the whole astromorphic
              attention from q, k, v (feature map, trace, calcium in PyTorch); today's PyTorch path.
  throughput  training examples/s (AdamW step, bf16 autocast, random tokens) of the IMDB classifier and
              the language models, astromorphic (Triton and PyTorch paths) against softmax and kozachkov.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

from astrosim.attention import AstromorphicOptions
from astrosim.attention.triton_astro import KernelConfig, astromorphic_triton, sigma_store
from astrosim.models.transformers.linear_time import astromorphic_linear_time


def _rel(a, b):
    return float((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-300))


def _explicit_num(q, k, v, a, causal):
    """float64 num_i = q_i . sigma(a_i S_i), one head at a time (q, k, v: (N, d|e))."""
    if causal:
        S = torch.einsum("nd,ne->nde", k, v).cumsum(0)
        return torch.einsum("nd,nde->ne", q, torch.sigmoid(S * a[:, None, None]))
    return q @ torch.sigmoid((k.T @ v) * a)


def check(lengths, heads=8, d=64):
    rows = []
    dev = "cuda"
    for N in lengths:
        for causal in (True, False):
            torch.manual_seed(N + causal)
            q = torch.rand(heads, N, d, device=dev).bfloat16()
            k = torch.rand(heads, N, d, device=dev).bfloat16()
            v = torch.randn(heads, N, d, device=dev).bfloat16()
            a = (1.0 / torch.arange(1, N + 1, device=dev)).repeat(heads, 1) if causal else torch.full((heads,), 1.0 / N, device=dev)
            qq, kk, vv = (t.clone().requires_grad_() for t in (q, k, v))
            out = sigma_store(qq, kk, vv, a, causal=causal)
            w = torch.randn(heads, N, d, device=dev)
            grads = torch.autograd.grad((out * w).sum(), (qq, kk, vv))
            errs = {"out": 0.0, "dq": 0.0, "dk": 0.0, "dv": 0.0}
            num = {key: 0.0 for key in errs}
            den = {key: 0.0 for key in errs}
            for h in range(heads):
                qd, kd, vd = (t[h].double().requires_grad_() for t in (q, k, v))
                ref = _explicit_num(qd, kd, vd, a[h].double(), causal)
                rg = torch.autograd.grad((ref * w[h].double()).sum(), (qd, kd, vd))
                for key, mine, theirs in zip(errs, (out[h],) + tuple(g[h] for g in grads), (ref,) + rg):
                    num[key] += float((mine.double() - theirs).norm() ** 2)
                    den[key] += float(theirs.norm() ** 2)
                del ref, rg
            for key in errs:
                errs[key] = math.sqrt(num[key] / den[key])
            finite = bool(torch.isfinite(out).all()) and all(bool(torch.isfinite(g).all()) for g in grads)
            rows.append({"N": N, "causal": causal, **errs, "finite": finite})
            print(f"check N={N} causal={causal}: " + " ".join(f"{k}={v:.2e}" for k, v in errs.items()), flush=True)
            torch.cuda.empty_cache()
    rows.append(_check_layer())
    return rows


def _check_layer():
    """The whole layer (Triton path, bf16 autocast) against the float64 reference, N = 256, with padding."""
    from astrosim.attention import reference_attention
    from astrosim.models.transformers import build_attention

    out = {"layer": True}
    for causal in (False, True):
        torch.manual_seed(3)
        m = build_attention("astromorphic", 256, 4, causal=causal, max_len=256).cuda()
        x = torch.randn(2, 256, 256, device="cuda")
        mask = torch.ones(2, 256, dtype=torch.bool, device="cuda")
        mask[1, 200:] = False
        with torch.autocast("cuda", dtype=torch.bfloat16):
            got = m.head_outputs(x, mask)
        md = m.double()
        q, k, v = md._split(x.double())
        ref = reference_attention("astromorphic", q, k, v, causal=causal, key_mask=mask[:, None, :],
                                  w_astro=md.astrocyte_weights(torch.float64), options=md.options)
        keep = mask[:, None, :, None]
        out[f"causal={causal}"] = _rel(got * keep, ref * keep)
        print(f"check layer causal={causal}: rel err {out[f'causal={causal}']:.2e}", flush=True)
    return out


def _bench(fn):
    import triton

    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def speed(lengths, heads=8, d=64, torch_max=8192, config=None):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    dev = "cuda"
    opts = AstromorphicOptions(positional=False)
    rows = []
    for N in lengths:
        torch.manual_seed(0)
        q, k, v = (torch.randn(1, heads, N, d, device=dev, dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
        dout = torch.randn(1, heads, N, d, device=dev, dtype=torch.bfloat16)
        row = {"N": N}

        def sdpa(causal):
            def f():
                with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                    o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                torch.autograd.grad(o, (q, k, v), dout)
            return f

        def layer(causal, path):
            def f():
                qf, kf, vf = q.float(), k.float(), v.float()
                pq = torch.where(qf > 0, qf + 1, qf.clamp_max(0).exp())
                pk = torch.where(kf > 0, kf + 1, kf.clamp_max(0).exp())
                if path == "triton":
                    o = astromorphic_triton(pq, pk, pk, vf, options=opts, causal=causal, kernel_dtype=torch.bfloat16,
                                            config=config)
                else:
                    o = astromorphic_linear_time(pq, pk, pk, vf, options=opts, causal=causal, chunk_size=32)
                torch.autograd.grad(o, (q, k, v), dout.float())
            return f

        def kernel(causal):
            pq = torch.rand(heads, N, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
            pk = torch.rand(heads, N, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
            vv = torch.randn(heads, N, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
            a = (1.0 / torch.arange(1, N + 1, device=dev)).repeat(heads, 1) if causal else torch.full((heads,), 1.0 / N, device=dev)
            dn = torch.randn(heads, N, d, device=dev)

            def f():
                o = sigma_store(pq, pk, vv, a, causal=causal, config=config)
                torch.autograd.grad(o, (pq, pk, vv), dn)
            return f

        def fla_linear():
            from fla.ops.linear_attn import chunk_linear_attn

            # fla takes [B, T, H, K]; plain causal linear attention, normalised (no sigmoid store)
            qf, kf, vf = (t.detach().transpose(1, 2).contiguous().requires_grad_() for t in (q, k, v))
            dof = dout.transpose(1, 2).contiguous()

            def f():
                o, _ = chunk_linear_attn(qf, kf, vf, normalize=True)
                torch.autograd.grad(o, (qf, kf, vf), dof)
            return f

        cases = [("sdpa_causal", sdpa(True)), ("sdpa_full", sdpa(False)), ("fla_linear_causal", fla_linear()),
                 ("kernel_causal", kernel(True)), ("kernel_full", kernel(False)),
                 ("astro_causal", layer(True, "triton")), ("astro_full", layer(False, "triton"))]
        if N <= torch_max:
            cases += [("torch_causal", layer(True, "torch")), ("torch_full", layer(False, "torch"))]
        for name, fn in cases:
            try:
                row[name] = _bench(fn)
            except Exception as exc:  # record, keep going (e.g. out of memory)
                row[name] = None
                print(f"speed N={N} {name}: {type(exc).__name__}: {exc}", flush=True)
            torch.cuda.empty_cache()
        print("speed " + json.dumps(row), flush=True)
        rows.append(row)
    return rows


def configs(N=8192, heads=8, d=64):
    """Forward + backward of the causal kernel for a few tile settings (median ms)."""
    out = []
    for tile in (4096, 8192, 16384):
        for wf, wb in ((4, 4), (4, 8), (8, 8)):
            cfg = KernelConfig(tile=tile, warps_fwd=wf, warps_bwd=wb)
            pq = torch.rand(heads, N, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
            pk = torch.rand(heads, N, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
            vv = torch.randn(heads, N, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
            a = (1.0 / torch.arange(1, N + 1, device="cuda")).repeat(heads, 1)
            dn = torch.randn(heads, N, d, device="cuda")

            def f():
                o = sigma_store(pq, pk, vv, a, causal=True, config=cfg)
                torch.autograd.grad(o, (pq, pk, vv), dn)
            try:
                ms = _bench(f)
            except Exception as exc:
                ms = None
                print(f"config tile={tile} warps={wf},{wb}: {type(exc).__name__}: {exc}", flush=True)
            out.append({"tile": tile, "warps_fwd": wf, "warps_bwd": wb, "ms": ms})
            print("config " + json.dumps(out[-1]), flush=True)
    return out


def throughput(steps=20, warm=5, tasks=None):
    from astrosim.models import transformers as T

    cases = [
        ("fmnist-paper", lambda att, opt: T.ImageClassifier(T.ImageClassifierConfig(
            in_channels=1, image_size=28, num_classes=10, dim=256, heads=8, layers=8, patch_size=2, attention=att,
            attention_options=opt)), 128, 196),
        ("imdb", lambda att, opt: T.TextClassifier(T.TextClassifierConfig(vocab_size=20000, max_len=400, dim=128,
                                                                          heads=4, attention=att,
                                                                          attention_options=opt)), 64, 400),
        ("sotu-lm", lambda att, opt: T.CausalLM(T.CausalLMConfig(vocab_size=13759, max_len=256, dim=384, heads=6,
                                                                 attention=att, attention_options=opt)), 32, 256),
        ("paper-lm", lambda att, opt: T.CausalLM(T.CausalLMConfig(vocab_size=13759, max_len=512, dim=768, heads=6,
                                                                  attention=att, attention_options=opt)), 24, 512),
    ]
    kinds = [("astromorphic", {}), ("astromorphic-torch", {"backend": "torch"}), ("kozachkov", {}), ("softmax", {})]
    rows = []
    for task, make, batch, n in cases:
        if tasks and task not in tasks:
            continue
        row = {"task": task, "batch": batch, "tokens": n}
        for name, opt in kinds:
            torch.manual_seed(0)
            model = make(name.split("-")[0], opt).cuda()
            optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
            x = torch.randint(1, 13000, (batch, n), device="cuda")
            mask = torch.ones(batch, n, dtype=torch.bool, device="cuda") if task == "imdb" else None
            y = torch.randint(0, 2, (batch,), device="cuda")
            if task.startswith("fmnist"):
                x = torch.randn(batch, 1, 28, 28, device="cuda")

            def step():
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    logits = model(x, mask) if mask is not None else model(x)
                if task == "imdb" or task.startswith("fmnist"):
                    loss = F.cross_entropy(logits.float(), y)
                else:
                    loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
                optim.zero_grad(set_to_none=True)
                loss.backward()
                optim.step()
            try:
                for _ in range(warm):
                    step()
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(steps):
                    step()
                torch.cuda.synchronize()
                row[name] = steps * batch / (time.perf_counter() - t0)
            except Exception as exc:
                row[name] = None
                print(f"throughput {task} {name}: {type(exc).__name__}: {exc}", flush=True)
            del model, optim
            torch.cuda.empty_cache()
        print("throughput " + json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lengths", type=int, nargs="+", default=[512, 2048, 8192, 32768, 65536])
    p.add_argument("--out", default=None)
    p.add_argument("--skip-check", action="store_true")
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--configs", action="store_true")
    p.add_argument("--torch-max", type=int, default=8192, help="longest N for today's PyTorch path")
    p.add_argument("--tasks", nargs="+", default=None,
                   help="throughput cases to run (fmnist-paper imdb sotu-lm paper-lm; default: all)")
    args = p.parse_args()
    res = {"device": torch.cuda.get_device_name(), "torch": torch.__version__}
    import triton

    res["triton"] = triton.__version__
    if args.configs:
        res["configs"] = configs()
    if not args.skip_check:
        res["check"] = check(args.lengths)
    if not args.skip_speed:
        res["speed"] = speed(args.lengths, torch_max=args.torch_max)
    if not args.skip_throughput:
        res["throughput"] = throughput(tasks=args.tasks)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh, indent=1)
    print(f"\n{res['device']}, torch {res['torch']}, triton {res['triton']}")
    if "speed" in res:
        names = ["sdpa_causal", "sdpa_full", "fla_linear_causal", "kernel_causal", "kernel_full", "astro_causal", "astro_full",
                 "torch_causal", "torch_full"]
        print("| N | " + " | ".join(names) + " |  (ms fwd+bwd)")
        for r in res["speed"]:
            print(f"| {r['N']} | " + " | ".join("-" if r.get(n) is None else f"{r[n]:.3f}" for n in names) + " |")
    if "check" in res:
        bad = [r for r in res["check"] if not r.get("layer") and (max(r["out"], r["dq"], r["dk"], r["dv"]) > 2e-2
                                                                 or not r["finite"])]
        print(f"check: {len(res['check']) - 1} kernel cases, {len(bad)} over 2e-2; layer {res['check'][-1]}")
    if "throughput" in res:
        for r in res["throughput"]:
            print("throughput " + json.dumps({k: (round(v) if isinstance(v, float) else v) for k, v in r.items()}))


if __name__ == "__main__":
    main()
