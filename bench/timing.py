"""Timing shared by the benchmark scripts, including those that run under
another venv's interpreter (no imports beyond the standard library)."""

from __future__ import annotations

import statistics
import time


def median_seconds(fn, repeats: int) -> float:
    """The median wall-clock seconds of ``repeats`` calls of ``fn()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
