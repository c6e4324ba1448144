"""Minimal array-namespace shim so one reference formula runs on numpy arrays and torch tensors."""
from __future__ import annotations

import sys

import numpy as np

__all__ = ["namespace"]


class _Numpy:
    name = "numpy"
    einsum = staticmethod(np.einsum)
    exp = staticmethod(np.exp)
    where = staticmethod(np.where)
    abs = staticmethod(np.abs)

    @staticmethod
    def clip_max(x, value):
        return np.minimum(x, value)

    @staticmethod
    def clip_min(x, value):
        return np.maximum(x, value)

    @staticmethod
    def power(x, a):
        return np.power(x, a)

    @staticmethod
    def cumsum(x, axis):
        return np.cumsum(x, axis=axis)

    @staticmethod
    def sum(x, axis, keepdims=False):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def amax(x, axis, keepdims=False):
        return np.max(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def sigmoid(x):
        return 0.5 * (1.0 + np.tanh(0.5 * x))

    @staticmethod
    def swap(x):
        return np.swapaxes(x, -1, -2)

    @staticmethod
    def ones_bool(shape, like):
        return np.ones(shape, dtype=bool)

    @staticmethod
    def tril_bool(n, like):
        return np.tril(np.ones((n, n), dtype=bool))

    @staticmethod
    def asarray(x, like):
        return np.asarray(x, dtype=like.dtype)

    @staticmethod
    def to_float(x, like):
        return np.asarray(x).astype(like.dtype)

    @staticmethod
    def arange(n, like):
        return np.arange(n, dtype=like.dtype)


class _Torch:
    name = "torch"

    def __init__(self):
        import torch

        self.t = torch

    def einsum(self, eq, *ops):
        return self.t.einsum(eq, *ops)

    def exp(self, x):
        return self.t.exp(x)

    def where(self, c, a, b):
        return self.t.where(c, a, b)

    def abs(self, x):
        return self.t.abs(x)

    def clip_max(self, x, value):
        return self.t.clamp(x, max=value)

    def clip_min(self, x, value):
        return self.t.clamp(x, min=value)

    def power(self, x, a):
        return self.t.pow(x, a)

    def cumsum(self, x, axis):
        return self.t.cumsum(x, dim=axis)

    def sum(self, x, axis, keepdims=False):
        return self.t.sum(x, dim=axis, keepdim=keepdims)

    def amax(self, x, axis, keepdims=False):
        return self.t.amax(x, dim=axis, keepdim=keepdims)

    def sigmoid(self, x):
        return self.t.sigmoid(x)

    def swap(self, x):
        return x.transpose(-1, -2)

    def ones_bool(self, shape, like):
        return self.t.ones(shape, dtype=self.t.bool, device=like.device)

    def tril_bool(self, n, like):
        return self.t.ones((n, n), dtype=self.t.bool, device=like.device).tril()

    def asarray(self, x, like):
        return self.t.as_tensor(x, dtype=like.dtype, device=like.device)

    def to_float(self, x, like):
        return self.t.as_tensor(x, device=like.device).to(like.dtype)

    def arange(self, n, like):
        return self.t.arange(n, dtype=like.dtype, device=like.device)


_NUMPY = _Numpy()
_TORCH = None


def namespace(x):
    """Return the ops namespace (numpy or torch) matching array ``x``."""
    global _TORCH
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        if _TORCH is None:
            _TORCH = _Torch()
        return _TORCH
    return _NUMPY
