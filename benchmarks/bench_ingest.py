"""Reading, validating and storing the default demo workbook (about 1,500 children)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from _common import peak_memory, timed

from yj_metrics import demo, validation
from yj_metrics.store import Store

ds = timed("build the default demo dataset", lambda: demo.demo_dataset(), repeat=3)
data = timed("write the demo workbook (.xlsx)", lambda: demo.demo_xlsx(), repeat=3)
print(f"{'workbook size':<60} {len(data) / 2**20:8.2f} MiB; rows: {ds.row_counts}")
report = timed("read + validate the demo workbook", lambda: validation.validate_bytes(data, "demo.xlsx"),
               repeat=3, target=5)
with peak_memory("read + validate the demo workbook"):
    validation.validate_bytes(data, "demo.xlsx")
print(f"{'validation problems':<60} {len(report.errors)} errors, {len(report.warnings)} warnings")

with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{Path(tmp) / 'bench.db'}"

    def load_fresh():
        store = Store(url)
        return store.load_dataset(report.dataset.with_frames(), "demo.xlsx", sha256=str(id(object())))

    timed("store one snapshot in SQLite (one transaction)", load_fresh, repeat=3)
    store = Store(url)
    timed("read the live snapshot back from SQLite", lambda: store.dataset(), repeat=3, target=3)
