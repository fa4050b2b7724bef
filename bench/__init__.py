"""Benchmarks: each module compares cordon with its named peers in one run and prints ratios."""
