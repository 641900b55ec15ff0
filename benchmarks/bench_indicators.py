"""Every indicator and every breakdown for one quarter of the default demo (target < 2 s)."""
from __future__ import annotations

from _common import timed

from yj_metrics import demo, indicators
from yj_metrics.counting import BREAKDOWNS
from yj_metrics.periods import reporting_quarter, last_quarters
from yj_metrics.settings import Settings

ds = demo.demo_dataset()
settings = Settings()
q = reporting_quarter(ds.covers[1])
print(f"demo: {len(ds.children)} children, {len(ds.outcomes)} outcomes, {len(ds.interventions)} interventions; quarter {q.label}")


def everything():
    out = indicators.compute(ds, q, settings=settings)
    for by in BREAKDOWNS:
        out += indicators.compute(ds, q, by=by, settings=settings)
    return out


results = timed("all indicators x all breakdowns, one quarter", everything, repeat=5, target=2)
print(f"{'results computed':<60} {len(results)}")
timed("board scorecard, one quarter", lambda: indicators.scorecard(ds, q, settings), repeat=5)
timed("five-quarter trend of every headline indicator",
      lambda: [indicators.trend(ds, i, last_quarters(q, 5), settings) for i in indicators.HEADLINE], repeat=3)
