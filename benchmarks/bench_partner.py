"""The partner view on the default demo: the one-off protection of the whole partner grid, then
each page's server time to re-render after a change of period (target < 300 ms).

Partners have no filters (docs/DISCLOSURE.md): their changes are the quarter, the period kind
and the breakdown. The protection is computed once per snapshot and shared by every session.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
tmp = tempfile.mkdtemp()
os.environ["YJ_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
os.environ["YJ_ROLE"] = "partner"

from streamlit.testing.v1 import AppTest  # noqa: E402

from yj_metrics.demo import demo_dataset  # noqa: E402
from yj_metrics.disclosure import PartnerProtection  # noqa: E402
from yj_metrics.store import Store  # noqa: E402

ds = demo_dataset()
t0 = time.perf_counter()
prot = PartnerProtection(ds)
prot._mask()
print(f"protection of every indicator over the partner grid: {time.perf_counter() - t0:5.1f} s (once per snapshot)")

Store(os.environ["YJ_DATABASE_URL"]).ensure_demo()
PAGES = ["overview", "kpi_detail", "disproportionality", "ete_accommodation", "reoffending", "disposals_caseload"]
for name in PAGES:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=300)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    quarters = next(s for s in at.selectbox if s.key == "w_q").options
    times = []
    for label in quarters[1:5] + quarters[:1]:
        at.selectbox(key="w_q").set_value(label)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    med = statistics.median(times)
    print(f"{name:<20} first load {first * 1000:7.0f} ms | new quarter median {med * 1000:5.0f} ms "
          f"(worst {max(times) * 1000:5.0f}) | target < 300 ms: {'met' if med < 0.3 else 'MISSED'}")
