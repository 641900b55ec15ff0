"""Server time to re-render each page after a filter change, default demo loaded (target < 300 ms).

Runs each page with Streamlit's AppTest (the script's whole run, in this process), first with
no filter, then after choosing a locality, then after going back: the figures printed are
the re-render times once the data are loaded.
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
os.environ["YJ_ROLE"] = "manager"

from streamlit.testing.v1 import AppTest  # noqa: E402

from yj_metrics.store import Store  # noqa: E402

Store(os.environ["YJ_DATABASE_URL"]).ensure_demo()
PAGES = ["overview", "kpi_detail", "disproportionality", "ete_accommodation", "reoffending", "disposals_caseload"]
for name in PAGES:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    times = []
    for loc in (["North"], [], ["West"], ["North", "West"], []):
        at.multiselect(key="w_locality").set_value(loc)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    # a filter already seen is served from the cache; a new one is computed
    med = statistics.median(times)
    print(f"{name:<22} first load {first * 1000:7.0f} ms   filter change median {med * 1000:6.0f} ms   "
          f"worst {max(times) * 1000:6.0f} ms   target < 300 ms: {'met' if med < 0.3 else 'MISSED'}")
