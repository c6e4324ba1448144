"""Triton sigmoid-store kernels (run by Triton's CPU interpreter) against float64 formulas.

The kernels are the ones compiled for CUDA; ``TRITON_INTERPRET=1`` (set by this package's
conftest before triton is imported) makes Triton execute them on the CPU with numpy.
"""
import pytest
import torch

triton = pytest.importorskip("triton", reason="the Triton kernels need the triton package (test extra)")

from astrosim.attention import reference_attention  # noqa: E402
from astrosim.attention.triton_astro import KernelConfig, _tiles, sigma_store, sigma_store_chunked  # noqa: E402
from astrosim.models.transformers import build_attention  # noqa: E402

# small tiles: several spans, several sub-chunks per span and two value blocks (atomic partial sums)
SMALL = KernelConfig(span=16, tile=2048, block_e=16, min_programs=1)


def _explicit(q, k, v, a, causal):
    if causal:
        S = torch.einsum("bnd,bne->bnde", k, v).cumsum(1)
        return torch.einsum("bnd,bnde->bne", q, torch.sigmoid(S * a[..., None, None]))
    return q @ torch.sigmoid(torch.einsum("bnd,bne->bde", k, v) * a[:, None, None])


def _inputs(bh, n, d, e, causal, seed):
    g = torch.Generator().manual_seed(seed)
    q = torch.rand(bh, n, d, generator=g, dtype=torch.float64)
    k = torch.rand(bh, n, d, generator=g, dtype=torch.float64) * 2
    v = torch.randn(bh, n, e, generator=g, dtype=torch.float64) * 3
    a = (1.0 / torch.arange(1, n + 1, dtype=torch.float64)).repeat(bh, 1) if causal else torch.full((bh,), 1.0 / n,
                                                                                                   dtype=torch.float64)
    return q, k, v, a


def _rel(x, y):
    return float((x.double() - y).norm() / y.norm())


@pytest.mark.parametrize("causal", [True, False], ids=["causal", "full"])
def test_sigma_store_matches_float64_formula(causal):
    # N = 37 is not a multiple of the span (16) or of the sub-chunk: the ragged tail is masked
    q, k, v, a = _inputs(2, 37, 16, 32, causal, seed=int(causal))
    ref = _explicit(q, k, v, a, causal)
    qf, kf, vf = (t.float().requires_grad_() for t in (q, k, v))
    out = sigma_store(qf, kf, vf, a.float(), causal=causal, config=SMALL)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    assert _rel(out, ref) < 1e-6
    w = torch.randn(ref.shape, dtype=torch.float64)
    grads = torch.autograd.grad((out * w.float()).sum(), (qf, kf, vf))
    qd, kd, vd = (t.clone().requires_grad_() for t in (q, k, v))
    ref_grads = torch.autograd.grad((_explicit(qd, kd, vd, a, causal) * w).sum(), (qd, kd, vd))
    for name, got, want in zip("qkv", grads, ref_grads):
        assert _rel(got, want) < 1e-6, name


def test_chunked_mirror_matches_formula_and_is_causal():
    q, k, v, a = _inputs(2, 45, 8, 8, True, seed=5)
    ref = _explicit(q, k, v, a, True)
    got = sigma_store_chunked(q, k, v, a, causal=True, span=16, sub=4)
    torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    # changing the last token changes no earlier output
    k2 = k.clone()
    k2[:, -1] += 1.0
    again = sigma_store_chunked(q, k2, v, a, causal=True, span=16, sub=4)
    torch.testing.assert_close(again[:, :-1], got[:, :-1], rtol=0, atol=0)
    assert not torch.allclose(again[:, -1], got[:, -1])


def test_kernel_causal_output_ignores_later_tokens():
    q, k, v, a = _inputs(1, 40, 16, 16, True, seed=7)
    args = dict(causal=True, config=SMALL)
    out = sigma_store(q.float(), k.float(), v.float(), a.float(), **args)
    v2 = v.clone()
    v2[:, 30:] = -v2[:, 30:]
    out2 = sigma_store(q.float(), k.float(), v2.float(), a.float(), **args)
    assert torch.equal(out[:, :30], out2[:, :30])
    assert not torch.allclose(out[:, 30:], out2[:, 30:])


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("preset", [None, "paper"])
def test_layer_triton_backend_matches_reference(causal, preset):
    torch.manual_seed(0)
    m = build_attention("astromorphic", 32, 2, causal=causal, max_len=24, preset=preset, backend="triton").double()
    x = torch.randn(2, 19, 32, dtype=torch.float64, requires_grad=True)
    mask = torch.ones(2, 19, dtype=torch.bool)
    mask[1, 13:] = False
    out = m.head_outputs(x, mask)
    q, k, v = m._split(x)
    ref = reference_attention("astromorphic", q, k, v, causal=causal, key_mask=mask[:, None, :],
                              w_astro=m.astrocyte_weights(torch.float64), options=m.options)
    keep = mask[:, None, :, None]
    assert _rel(out * keep, ref * keep) < 1e-5
    w = torch.randn_like(ref) * keep
    params = [x, m.qkv.weight, m.M]
    for got, want in zip(torch.autograd.grad((out * w).sum(), params), torch.autograd.grad((ref * w).sum(), params)):
        assert _rel(got, want) < 1e-5


def test_backend_choice_and_errors():
    cpu = torch.randn(1, 4, 32)
    auto = build_attention("astromorphic", 32, 2, max_len=4)
    assert auto.backend == "auto" and not auto._use_triton(cpu)  # CPU tensors: the PyTorch path
    assert not build_attention("astromorphic", 32, 2, max_len=4, backend="torch")._use_triton(cpu)
    with pytest.raises(ValueError, match="backend must be one of"):
        build_attention("astromorphic", 32, 2, max_len=4, backend="cuda")
    with pytest.raises(ValueError, match="power-of-two head width"):
        build_attention("astromorphic", 24, 2, max_len=4, backend="triton")(torch.randn(1, 4, 24))
    with pytest.raises(ValueError, match="sigma=True"):
        build_attention("kozachkov", 32, 2, backend="triton")(torch.randn(1, 4, 32))
    with pytest.raises(ValueError, match="scale a must have shape"):
        sigma_store(torch.rand(2, 8, 16), torch.rand(2, 8, 16), torch.rand(2, 8, 16), torch.ones(2), causal=True)
    with pytest.raises(ValueError, match="32-bit offsets"):
        big = torch.empty(0).new_empty((1,)).expand(2**16, 2**9, 64)  # shape only; never read
        sigma_store(big, big, big, torch.ones(1), causal=True)
    with pytest.raises(ValueError, match="power of two"):
        sigma_store(torch.rand(2, 8, 12), torch.rand(2, 8, 12), torch.rand(2, 8, 16), torch.ones(2, 8), causal=True)


def test_tiles_fill_the_grid_and_fit_registers():
    span, sub, be = _tiles(65536, 8, 64, 64, KernelConfig())
    assert (span, sub, be) == (256, 2, 64)  # 256 spans x 8 heads = 2048 programs
    span, sub, be = _tiles(512, 8, 64, 64, KernelConfig())
    assert span == 16  # short spans so that 8 heads x 512 tokens still give 256 programs
    span, sub, be = _tiles(512, 6, 128, 128, KernelConfig())
    assert be == 32 and sub * 128 * be <= KernelConfig().tile
