"""Benchmarks: ratios against a baseline measured in the same run, printed and saved.

Run them with ``make bench`` (``python -m bench``). ``BENCH_SCALE`` (default 1.0) shrinks the
data sizes for a quick run. Traffic goes only to 127.0.0.1 and nothing is downloaded.
"""
