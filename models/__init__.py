"""Model library: Brian2 equation specs with parameter sets, and PyTorch attention models."""
