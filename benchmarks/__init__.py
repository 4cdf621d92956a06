"""Benchmarks for tamiz: matching quality, speed and ingest, side by side with baselines.

Run ``python benchmarks/run.py --help``. Everything is derived in code from ``../shared/data``;
nothing in this package is imported by tamiz itself.
"""
