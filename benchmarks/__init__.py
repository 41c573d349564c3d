"""adscan's benchmarks: each ``bench_<area>.py`` has ``section() -> str`` that
measures and returns a Markdown section; ``python -m benchmarks.run`` writes
them all to ``benchmarks/REPORT.md``."""
