"""Runnable biophysical protocols (build network, run, record, summarise)."""
