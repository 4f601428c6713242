"""Benchmarks of the training and evaluation paths (GPU); see benchmarks/README.md."""
