"""Attention modules against the float64 references: every option, gradients, causality, padding, bf16."""
import itertools

import pytest
import torch

from astrosim.attention import AstromorphicOptions, reference_attention
from astrosim.models.transformers import AstromorphicAttention, build_attention

KINDS = ["astromorphic", "kozachkov", "linear", "softmax"]

_GRID = list(itertools.product([True, False], ["tokens", 7.0], ["inside", "outside"], ["total", "per_token"],
                               [True, False], ["exp", "distance"]))
ASTRO_OPTIONS = [
    dict(sigma=s, scale=m, scale_placement=p, alpha_placement=a, positional=pos, position_kernel=ker,
         alpha=0.25 if s else 0.6)
    for s, m, p, a, pos, ker in _GRID if pos or ker == "exp"
]


def _ids(opts):
    return "-".join(str(opts[key]) for key in ("sigma", "scale", "scale_placement", "alpha_placement", "positional",
                                                "position_kernel"))


def _module(kind, causal, dim=12, heads=3, max_len=40, chunk_size=8, checkpoint=False, **options):
    torch.manual_seed(0)
    if kind != "softmax":
        options.update(chunk_size=chunk_size, checkpoint=checkpoint)
    return build_attention(kind, dim, heads, causal=causal, max_len=max_len, **options).double()


def _reference_heads(module, kind, x, mask, causal):
    """Per-head output of the naive float64 formula on the module's own projections."""
    q, k, v = module._split(x)
    w = module.astrocyte_weights(torch.float64) if getattr(module, "M", None) is not None else None
    key_mask = None if mask is None else mask[:, None, :]
    return reference_attention(kind, q, k, v, causal=causal, key_mask=key_mask, w_astro=w,
                               options=getattr(module, "options", None))


def _compare(module, kind, causal, n=21, mask=None):
    torch.manual_seed(1)
    x = torch.randn(2, n, module.dim, dtype=torch.float64, requires_grad=True)
    out = module.head_outputs(x, mask)
    ref = _reference_heads(module, kind, x, mask, causal)
    keep = (torch.ones(2, n, dtype=torch.bool) if mask is None else mask)[:, None, :, None]
    torch.testing.assert_close(out * keep, ref * keep, rtol=1e-10, atol=1e-13)
    weights = torch.randn_like(out) * keep
    params = [x] + [p for p in module.parameters()]
    grads = torch.autograd.grad((out * weights).sum(), params, allow_unused=True)
    ref_grads = torch.autograd.grad((ref * weights).sum(), params, allow_unused=True)
    for g, r in zip(grads, ref_grads):
        if r is None:
            continue
        torch.testing.assert_close(g, r, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("options", ASTRO_OPTIONS, ids=_ids)
def test_astromorphic_options_match_reference(options, causal):
    module = _module("astromorphic", causal, **options)
    mask = torch.ones(2, 21, dtype=torch.bool)
    mask[1, 15:] = False
    _compare(module, "astromorphic", causal, mask=mask)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("preset", [None, "paper"])
def test_every_kind_and_preset_matches_reference(kind, preset, causal):
    if kind in ("linear", "softmax"):
        with pytest.raises(KeyError, match="preset"):
            build_attention(kind, 12, 3, preset="fast")
    module = _module(kind, causal, preset=preset)
    _compare(module, kind, causal, mask=None)
    mask = torch.rand(2, 21, generator=torch.Generator().manual_seed(3)) > 0.3
    _compare(module, kind, causal, mask=mask)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 30])
@pytest.mark.parametrize("chunk_size", [1, 4, 64])
def test_causal_chunked_forms_match_quadratic_form(n, chunk_size):
    """The chunked prefix-sum forms (with and without sigmoid) equal the explicit masked form."""
    for sigma in (True, False):
        module = _module("astromorphic", True, chunk_size=chunk_size, sigma=sigma, scale=3.0)
        _compare(module, "astromorphic", True, n=n)


def test_checkpointed_chunks_give_the_same_gradients():
    module = _module("astromorphic", True, chunk_size=4, checkpoint=True)
    _compare(module, "astromorphic", True, n=11)


def _leak_check(module, n, t, dtype):
    torch.manual_seed(n * 100 + t)
    x = torch.randn(2, n, module.dim, dtype=dtype)
    y = x.clone()
    y[:, t + 1:] = torch.randn_like(y[:, t + 1:]) * 5.0
    with torch.no_grad():
        a, b = module(x), module(y)
        prefix = module(x[:, : t + 1])
    tol = dict(rtol=0, atol=0) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(a[:, : t + 1], b[:, : t + 1], **tol)
    torch.testing.assert_close(prefix, a[:, : t + 1], rtol=1e-12 if dtype == torch.float64 else 1e-5,
                               atol=1e-12 if dtype == torch.float64 else 1e-5)
    if t + 1 < n:
        assert not torch.allclose(a[:, t + 1:], b[:, t + 1:]), "later tokens had no effect at all"


@pytest.mark.parametrize("kind,options", [("astromorphic", {}), ("astromorphic", {"preset": "paper"}),
                                          ("astromorphic", {"sigma": False, "alpha_placement": "per_token"}),
                                          ("kozachkov", {}), ("linear", {}), ("softmax", {})],
                         ids=["astro", "astro-paper", "astro-plain", "kozachkov", "linear", "softmax"])
@pytest.mark.parametrize("n", [2, 9, 33, 40])
def test_causal_modules_do_not_leak(kind, options, n):
    """Changing tokens after position t changes nothing at or before t; outputs do not depend on N."""
    module = _module(kind, True, chunk_size=8, **options)
    for t in sorted({0, n // 2, n - 2, n - 1}):
        _leak_check(module, n, t, torch.float64)
    _leak_check(module.float(), n, n // 3, torch.float32)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("kind", KINDS)
def test_padding_content_and_length_do_not_change_real_tokens(kind, causal):
    module = _module(kind, causal)
    torch.manual_seed(5)
    x = torch.randn(3, 20, 12, dtype=torch.float64)
    mask = torch.ones(3, 20, dtype=torch.bool)
    mask[0, 12:] = False
    mask[1, 1:] = False
    y = x.clone()
    y[~mask] = torch.randn_like(y[~mask]) * 10.0
    with torch.no_grad():
        a, b = module(x, mask), module(y, mask)
        alone = module(x[:1, :12])
    real = mask[..., None]
    torch.testing.assert_close(a * real, b * real, rtol=0, atol=1e-13)
    torch.testing.assert_close(a[0, :12], alone[0], rtol=1e-12, atol=1e-12)
    assert torch.isfinite(a).all()


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("kind", KINDS)
def test_fully_padded_sequence_gives_finite_outputs_and_gradients(kind, causal):
    module = _module(kind, causal).float()
    x = torch.randn(2, 10, 12, requires_grad=True)
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[1] = False
    out = module(x, mask)
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in module.parameters() if p.grad is not None)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("kind,preset", [(k, None) for k in KINDS] + [("astromorphic", "paper"), ("kozachkov", "paper")])
def test_bf16_autocast_is_close_to_float32(kind, preset, causal):
    module = _module(kind, causal, dim=32, heads=4, max_len=64, preset=preset).float()
    x = torch.randn(2, 50, 32)
    ref = module.head_outputs(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        heads = module.head_outputs(x)
        out = module(x)
    out.float().sum().backward()
    assert torch.isfinite(out.float()).all()
    err = (heads.float() - ref).norm() / ref.norm()
    assert err < 0.05, f"bf16 relative error {err:.3g}"


def test_astrocyte_weights_initialised_at_unit_scale_and_positive():
    module = AstromorphicAttention(64, 4, max_len=128)
    w = module.astrocyte_weights()
    assert w.shape == (4, 16, 128) and (w > 0).all()
    assert 0.5 < w.mean().item() < 2.0


def test_module_errors_name_the_problem():
    with pytest.raises(KeyError, match="Available"):
        build_attention("cosine", 12, 3)
    with pytest.raises(ValueError, match="divisible"):
        build_attention("linear", 10, 3)
    with pytest.raises(ValueError, match="needs max_len"):
        build_attention("astromorphic", 12, 3)
    with pytest.raises(TypeError, match="unknown astromorphic attention option"):
        build_attention("astromorphic", 12, 3, max_len=8, alfa=1.0)
    with pytest.raises(TypeError, match="no options"):
        build_attention("softmax", 12, 3, alpha=1.0)
    module = build_attention("astromorphic", 12, 3, max_len=8)
    with pytest.raises(ValueError, match="exceeds max_len"):
        module(torch.randn(1, 9, 12))
    with pytest.raises(ValueError, match=r"\(B, N, 12\)"):
        module(torch.randn(1, 5, 10))
    with pytest.raises(TypeError, match="bool"):
        module(torch.randn(1, 5, 12), torch.ones(1, 5))
    with pytest.raises(ValueError, match="mask must have shape"):
        module(torch.randn(1, 5, 12), torch.ones(1, 4, dtype=torch.bool))
    assert build_attention("astromorphic", 12, 3, max_len=8, preset="paper").options == \
        AstromorphicOptions(scale=6000.0, scale_placement="outside")
