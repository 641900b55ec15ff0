"""The board pack (PowerPoint + PDF) for one quarter of the default demo (target < 10 s)."""
from __future__ import annotations

from _common import timed

from yj_metrics import demo, report
from yj_metrics.periods import reporting_quarter

ds = demo.demo_dataset()
q = reporting_quarter(ds.covers[1])
for role in ("board", "partner"):
    pack = timed(f"board pack for {q.label}, role {role}", lambda: report.build_board_pack(ds, q, role), repeat=2, target=10)
    print(f"{'  sizes':<60} pptx {len(pack.pptx) / 1024:8.0f} KiB, pdf {len(pack.pdf) / 1024:8.0f} KiB")
