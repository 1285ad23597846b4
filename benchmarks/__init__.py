"""Benchmarks of promosim: ``python -m benchmarks [--quick] [--only a,b]`` (see README.md)."""
