"""What bounded reading costs a normal upload, and how fast hostile files are refused (issue 15).

A normal upload is the whole of ``Store.load`` on the default demo workbook (read, validate,
store in SQLite). It is timed with the reader as shipped (checks, then python-calamine in a
worker process with memory and CPU limits) and with the same checks parsed in this process, so
the worker's share shows; the issue allows a normal upload 10% more time than before. Each
hostile file of the test corpus is then timed to its refusal, with the worker's peak memory.
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import timed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import hostile_workbooks as hostile  # noqa: E402
from yj_metrics import demo, reading  # noqa: E402
from yj_metrics.store import Store  # noqa: E402
from yj_metrics.validation import validate, validate_bytes  # noqa: E402

data = demo.demo_xlsx()
print(f"{'demo workbook':<60} {len(data) / 2**20:8.2f} MiB")
timed("read: checks + worker process (as shipped)", lambda: reading.read_workbook(data, "demo.xlsx"), repeat=7)
timed("read: checks, parsed in this process", lambda: reading.read_workbook(data, "demo.xlsx", isolated=False),
      repeat=7)

with tempfile.TemporaryDirectory() as tmp:
    n = iter(range(10_000))

    def upload(isolated: bool):
        """What Store.load does: read, validate, store one snapshot in a fresh SQLite file."""
        store = Store(f"sqlite:///{Path(tmp) / f'u{next(n)}.db'}")
        report = validate(reading.read_workbook(data, "demo.xlsx", isolated=isolated))
        return store.load_dataset(report.dataset, "demo.xlsx", sha256=str(next(n)))

    timed("whole upload: read, validate, store (worker process)", lambda: upload(True), repeat=7)
    timed("whole upload: read, validate, store (parsed in place)", lambda: upload(False), repeat=7)

print()
for case in hostile.CORPUS:
    bytes_ = case.build()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    report = validate_bytes(bytes_, f"{case.name}.xlsx")
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{'refuse ' + case.name:<60} {took:8.3f} s  file {len(bytes_) / 2**20:6.2f} MiB  "
          f"worker peak so far {max(before, peak) / 1024:6.0f} MiB  errors {len(report.errors)}")
