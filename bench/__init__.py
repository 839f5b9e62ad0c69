"""Benchmarks that print ratios measured in one run (`make bench`); see bench/README.md."""
