"""Pieces of the benchmark (`python -m bench`): processes, scripts, report."""
