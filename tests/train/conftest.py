"""Tiny settings shared by the training tests."""
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY = {"dim": 16, "heads": 2, "layers": 1, "dropout": 0.1}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Keep prepared arrays out of the user's data cache."""
    monkeypatch.setenv("ASTROSIM_DATA", str(tmp_path / "cache"))


@pytest.fixture
def fixtures():
    """The committed real-data slices."""
    return FIXTURES


@pytest.fixture
def tiny():
    """A tiny model configuration (CPU, seconds)."""
    return dict(TINY)
