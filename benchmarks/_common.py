"""Shared set-up for the benchmark scripts: the default demo and a timer that prints."""
from __future__ import annotations

import statistics
import time
import tracemalloc
from contextlib import contextmanager


def timed(label: str, fn, repeat: int = 5, target: float | None = None):
    """Run ``fn`` ``repeat`` times; print the median and best wall time (and the target)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    verdict = ""
    if target is not None:
        verdict = f"  target < {target:g} s: {'met' if med < target else 'MISSED'}"
    print(f"{label:<60} median {med:8.3f} s  best {min(times):8.3f} s  (n={repeat}){verdict}")
    return result


@contextmanager
def peak_memory(label: str):
    """Print the peak Python memory allocated inside the block."""
    tracemalloc.start()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{label:<60} peak {peak / 2**20:8.1f} MiB (tracemalloc)")
