"""Benchmarks of the gateway against a zero-latency mock upstream (`make bench`)."""
