"""The stage-by-stage disproportionality table, every dimension, one financial year (target < 1 s)."""
from __future__ import annotations

from _common import timed

from yj_metrics import demo, disproportionality as dp
from yj_metrics.periods import financial_year, fy_start_year

ds = demo.demo_dataset()
fy = financial_year(fy_start_year(ds.covers[1]) - 1)
print(f"financial year {fy.label}")


def every_dimension():
    out = []
    for by in dp.DIMENSIONS:
        out += dp.stage_table(ds, fy, by=by, chain=dp.STAGES)
    return out


rows = timed("stage table (all stages) for every dimension", every_dimension, repeat=5, target=1)
print(f"{'rows':<60} {len(rows)}")
timed("pooled over three years, ethnicity", lambda: dp.stage_table(ds, fy, by="ethnicity", pool_years=3), repeat=3)
