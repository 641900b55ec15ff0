"""Server time to re-render each page after a filter change, default demo loaded (target < 300 ms).

Runs each page with Streamlit's AppTest (the script's whole run, in this process), first with
no filter, then after choosing a locality, then after going back: the figures printed are
the re-render times once the data are loaded.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_pages.py [page ...]     # default: every page

The background warm-up of the default view (ui/data.py) is limited to the board's view here, so the
partner protection is not computed in this process while the filter changes are timed.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
tmp = tempfile.mkdtemp()
os.environ["YJ_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
os.environ["YJ_ROLE"] = "manager"
os.environ.setdefault("YJ_WARM_UP", "board")

from streamlit.testing.v1 import AppTest  # noqa: E402

from yj_metrics.store import Store  # noqa: E402

Store(os.environ["YJ_DATABASE_URL"]).ensure_demo()
PAGES = sys.argv[1:] or ["overview", "kpi_detail", "disproportionality", "ete_accommodation", "reoffending",
                         "disposals_caseload"]
for name in PAGES:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    new, seen = [], []
    for loc, bucket in ((["North"], new), ([], seen), (["West"], new), (["North"], seen), (["North", "West"], new),
                        (["West"], seen)):
        at.multiselect(key="w_locality").set_value(loc)
        t0 = time.perf_counter()
        at.run()
        bucket.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    # a filter seen before in the session is served from the cache; a new one is computed
    med_new, med_seen = statistics.median(new), statistics.median(seen)
    print(f"{name:<20} first load {first * 1000:6.0f} ms | new filter median {med_new * 1000:5.0f} ms "
          f"(worst {max(new) * 1000:5.0f}) | filter seen before {med_seen * 1000:5.0f} ms | "
          f"target < 300 ms: new {'met' if med_new < 0.3 else 'MISSED'}, seen {'met' if med_seen < 0.3 else 'MISSED'}")
