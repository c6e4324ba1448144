"""Helpers shared by astrosim's tests and benchmarks (network builders, comparisons)."""
