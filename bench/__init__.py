"""Benchmarks (bench/README.md): scripts run as `python bench/<name>.py`."""
