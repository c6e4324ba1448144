"""Analysis: mapping network state to attention, comparisons and figures."""
