"""Benchmark scripts: speed and quality measured on real documents, with baselines beside us."""
