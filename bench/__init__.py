"""Benchmarks of throughput, memory and quality (`python -m bench.run`, `make bench`)."""
