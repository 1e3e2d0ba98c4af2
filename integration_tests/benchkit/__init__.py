"""Pieces of the benchmark (`python -m integration_tests.bench`): processes, scripts, report."""
