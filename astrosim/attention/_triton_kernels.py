"""The Triton kernels behind :mod:`astrosim.attention.triton_astro` (see there for the algorithm).

Loaded by ``triton_astro._kernels`` as a module of its own per mode (compiled for CUDA, or
Triton's CPU interpreter), since ``triton.jit`` picks the mode when it decorates.
"""
import triton
import triton.language as tl


@triton.jit
def _sigmoid(x, FAST: tl.constexpr):
    if FAST:
        t = tl.inline_asm_elementwise("tanh.approx.f32 $0, $1;", "=f,f", [x * 0.5], dtype=tl.float32,
                                      is_pure=True, pack=1)
        return 0.5 * t + 0.5
    else:
        return 1.0 / (1.0 + tl.exp(-x))

@triton.jit
def _causal_rows(Q, K, V, A, S, bh, N, rows, rm, offs_d, offs_e, D: tl.constexpr, E: tl.constexpr,
                 FAST: tl.constexpr):
    """One sub-chunk of a causal span: q, k, v (float32), a, the k v products, the gate."""
    qd = bh * N * D + rows[:, None] * D + offs_d[None, :]
    q = tl.load(Q + qd, mask=rm[:, None], other=0.0).to(tl.float32)
    k = tl.load(K + qd, mask=rm[:, None], other=0.0).to(tl.float32)
    v = tl.load(V + bh * N * E + rows[:, None] * E + offs_e[None, :], mask=rm[:, None], other=0.0).to(tl.float32)
    a = tl.load(A + bh * N + rows, mask=rm, other=0.0)
    kv = k[:, :, None] * v[:, None, :]
    sig = _sigmoid((S[None, :, :] + tl.cumsum(kv, axis=0)) * a[:, None, None], FAST)
    return q, k, v, a, kv, sig

@triton.jit
def span_kv(A, Bm, Out, N, NSPAN, SPAN: tl.constexpr, RB: tl.constexpr, D: tl.constexpr,
            E: tl.constexpr, BE: tl.constexpr, IEEE: tl.constexpr):
    s = tl.program_id(0)
    bh = tl.program_id(1)
    eb = tl.program_id(2)
    offs_d = tl.arange(0, D)
    offs_e = eb * BE + tl.arange(0, BE)
    acc = tl.zeros([D, BE], dtype=tl.float32)
    for r in range(0, SPAN, RB):
        rows = s * SPAN + r + tl.arange(0, RB)
        rm = rows < N
        a = tl.load(A + bh * N * D + rows[:, None] * D + offs_d[None, :], mask=rm[:, None], other=0.0)
        b = tl.load(Bm + bh * N * E + rows[:, None] * E + offs_e[None, :], mask=rm[:, None], other=0.0)
        if IEEE:
            acc += tl.dot(tl.trans(a), b, input_precision="tf32x3")
        else:
            acc += tl.dot(tl.trans(a), b)
    tl.store(Out + ((bh * NSPAN + s) * D + offs_d[:, None]) * E + offs_e[None, :], acc)

@triton.jit
def rows_matmul(X, M, Out, N, D: tl.constexpr, E: tl.constexpr, BE: tl.constexpr, RB: tl.constexpr):
    # Out[bh, rows, e-block] = X[bh, rows, :] @ M[bh, :, e-block]  (M float32, exact products)
    rb = tl.program_id(0)
    bh = tl.program_id(1)
    eb = tl.program_id(2)
    rows = rb * RB + tl.arange(0, RB)
    rm = rows < N
    offs_d = tl.arange(0, D)
    offs_e = eb * BE + tl.arange(0, BE)
    x = tl.load(X + bh * N * D + rows[:, None] * D + offs_d[None, :], mask=rm[:, None], other=0.0)
    m = tl.load(M + (bh * D + offs_d[:, None]) * E + offs_e[None, :])
    out = tl.dot(x.to(tl.float32), m, input_precision="tf32x3")
    tl.store(Out + bh * N * E + rows[:, None] * E + offs_e[None, :], out, mask=rm[:, None])

@triton.jit
def causal_fwd(Q, K, V, A, S0, Out, N, NSPAN, SPAN: tl.constexpr, SUB: tl.constexpr, D: tl.constexpr,
               E: tl.constexpr, BE: tl.constexpr, FAST: tl.constexpr):
    s = tl.program_id(0)
    bh = tl.program_id(1)
    eb = tl.program_id(2)
    offs_d = tl.arange(0, D)
    offs_e = eb * BE + tl.arange(0, BE)
    S = tl.load(S0 + ((bh * NSPAN + s) * D + offs_d[:, None]) * E + offs_e[None, :])
    for r in range(0, SPAN, SUB):
        rows = s * SPAN + r + tl.arange(0, SUB)
        rm = rows < N
        q, k, v, a, kv, sig = _causal_rows(Q, K, V, A, S, bh, N, rows, rm, offs_d, offs_e, D, E, FAST)
        num = tl.sum(q[:, :, None] * sig, axis=1)
        tl.store(Out + bh * N * E + rows[:, None] * E + offs_e[None, :], num, mask=rm[:, None])
        S = S + tl.sum(kv, axis=0)

@triton.jit
def causal_gsum(Q, K, V, A, DN, S0, GS, N, NSPAN, SPAN: tl.constexpr, SUB: tl.constexpr, D: tl.constexpr,
                E: tl.constexpr, BE: tl.constexpr, FAST: tl.constexpr):
    s = tl.program_id(0)
    bh = tl.program_id(1)
    eb = tl.program_id(2)
    offs_d = tl.arange(0, D)
    offs_e = eb * BE + tl.arange(0, BE)
    state = ((bh * NSPAN + s) * D + offs_d[:, None]) * E + offs_e[None, :]
    S = tl.load(S0 + state)
    Gs = tl.zeros([D, BE], dtype=tl.float32)
    for r in range(0, SPAN, SUB):
        rows = s * SPAN + r + tl.arange(0, SUB)
        rm = rows < N
        q, k, v, a, kv, sig = _causal_rows(Q, K, V, A, S, bh, N, rows, rm, offs_d, offs_e, D, E, FAST)
        dn = tl.load(DN + bh * N * E + rows[:, None] * E + offs_e[None, :], mask=rm[:, None], other=0.0)
        G = (q[:, :, None] * dn[:, None, :]) * (sig * (1.0 - sig) * a[:, None, None])
        Gs += tl.sum(G, axis=0)
        S = S + tl.sum(kv, axis=0)
    tl.store(GS + state, Gs)

@triton.jit
def causal_bwd(Q, K, V, A, DN, S0, R0, DQ, DK, DV, N, NSPAN, SPAN: tl.constexpr, SUB: tl.constexpr,
               D: tl.constexpr, E: tl.constexpr, BE: tl.constexpr, FAST: tl.constexpr, ATOMIC: tl.constexpr):
    s = tl.program_id(0)
    bh = tl.program_id(1)
    eb = tl.program_id(2)
    offs_d = tl.arange(0, D)
    offs_e = eb * BE + tl.arange(0, BE)
    state = ((bh * NSPAN + s) * D + offs_d[:, None]) * E + offs_e[None, :]
    S = tl.load(S0 + state)
    R = tl.load(R0 + state)  # sum of G over every query from this sub-chunk on
    for r in range(0, SPAN, SUB):
        rows = s * SPAN + r + tl.arange(0, SUB)
        rm = rows < N
        qd = bh * N * D + rows[:, None] * D + offs_d[None, :]
        ve = bh * N * E + rows[:, None] * E + offs_e[None, :]
        q, k, v, a, kv, sig = _causal_rows(Q, K, V, A, S, bh, N, rows, rm, offs_d, offs_e, D, E, FAST)
        dn = tl.load(DN + ve, mask=rm[:, None], other=0.0)
        dq = tl.sum(sig * dn[:, None, :], axis=2)
        G = (q[:, :, None] * dn[:, None, :]) * (sig * (1.0 - sig) * a[:, None, None])
        Rt = R[None, :, :] - tl.cumsum(G, axis=0) + G  # suffix sum from row t
        dk = tl.sum(Rt * v[:, None, :], axis=2)
        dv = tl.sum(k[:, :, None] * Rt, axis=1)
        tl.store(DV + ve, dv, mask=rm[:, None])
        if ATOMIC:
            tl.atomic_add(DQ + qd, dq, mask=rm[:, None])
            tl.atomic_add(DK + qd, dk, mask=rm[:, None])
        else:
            tl.store(DQ + qd, dq, mask=rm[:, None])
            tl.store(DK + qd, dk, mask=rm[:, None])
        R = R - tl.sum(G, axis=0)
        S = S + tl.sum(kv, axis=0)

