"""The board pack (PowerPoint + PDF) for one quarter of the default demo (target < 5 s, issue "The board
meeting"). The first build of each role is printed apart: it pays once for what later builds reuse
(the partner pack's small-number protection of the whole service, fonts, the chart renderer)."""
from __future__ import annotations

import time

from _common import timed

from yj_metrics import demo, report
from yj_metrics.periods import reporting_quarter

ds = demo.demo_dataset()
q = reporting_quarter(ds.covers[1])
for role in ("board", "partner"):
    t0 = time.perf_counter()
    report.build_board_pack(ds, q, role)
    print(f"{f'board pack for {q.label}, role {role}: first build':<60} {time.perf_counter() - t0:8.3f} s")
    pack = timed(f"board pack for {q.label}, role {role}: later builds", lambda: report.build_board_pack(ds, q, role),
                 repeat=3, target=5)
    print(f"{'  sizes':<60} pptx {len(pack.pptx) / 1024:8.0f} KiB, pdf {len(pack.pdf) / 1024:8.0f} KiB")
