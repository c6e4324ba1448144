"""Helpers for the engine validation tests: run a network with Brian2 and astrosim, compare."""
