"""The partner view on the default demo: what the protection hides, what it costs, and how long a partner
waits.

1. **Share of cells shown** (issue 21 targets: 90% of whole-service cells, 70% of one-dimension cells).
   A cell is one indicator result partners can be shown: the whole service for every quarter, financial
   year and rolling year; one dimension at a time for every financial year; a locality, then one more
   dimension, for the latest three financial years and the last 12 months (each printed on its own). Printed twice: out of every
   cell, and out of the cells that do not rest on a count (or complement) of 1 to 4 themselves, which no
   protection may show. Secondary cells are those hidden only to protect another.
2. **Protection time for the whole grid** (every indicator, disproportionality stage and local table),
   computed once per snapshot and settings when the snapshot goes live. 1 and 2 are printed for the default
   demo (to 31 March 2024: the reporting quarter ends a financial year) and for the same service exported on
   15 November 2023, whose last 12 months (to 30 September 2023) are no financial year: partners break them
   down too, within a locality as well.
3. **Time to the first partner page** after an upload or restart: with the protection computed in the
   background from the moment the snapshot goes live, a partner arriving ``t`` seconds later waits
   ``max(0, protection - t)`` (shown a progress bar meanwhile) plus the page's own time; then each page's
   server time to re-render after a change of quarter (target < 300 ms).

Partners have no filters (docs/DISCLOSURE.md): their changes are the quarter, the period kind and the
breakdown.
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
tmp = tempfile.mkdtemp()
os.environ["YJ_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
os.environ["YJ_ROLE"] = "partner"
os.environ.setdefault("YJ_WARM_UP", "0")

from streamlit.testing.v1 import AppTest  # noqa: E402

from yj_metrics import disclosure as d  # noqa: E402
from yj_metrics.demo import demo_dataset  # noqa: E402
from yj_metrics.store import Store  # noqa: E402


def shares(prot: d.PartnerProtection) -> dict:
    """{(kind, what): number of cells} over the partner view set (kind: whole service, one dimension)."""
    t = prot.threshold
    out: dict = {}
    mask = prot._mask()
    p = prot.periods.last_12_months
    last_12 = None if p is None else (p.start, p.end)
    for r in d._view_set(prot.ds, prot.periods, prot.settings):
        if r.indicator in d.NOT_PERSONAL or r.indicator in d.NOT_FOR_PARTNERS or r.numerator is None:
            continue
        kind = "whole service" if r.by is None else "locality, then one" if "@" in r.by else "one dimension"
        if kind == "locality, then one" and last_12 is not None and (r.start, r.end) == last_12:
            kind = "locality, 12 months"
        hidden, primary = prot.is_hidden(r), d.is_primary(r, t)
        for what, yes in (("all", True), ("shown", not hidden), ("primary", primary),
                          ("secondary", hidden and not primary), ("withheld", mask.get(d._result_key(r)) == d.UNSIZED)):
            out[(kind, what)] = out.get((kind, what), 0) + int(yes)
    return out


def report(name: str, ds) -> float:
    """Print the protection's time and shares for ``ds``; returns the time."""
    prot = d.PartnerProtection(ds)
    t0 = time.perf_counter()
    prot.prepare()
    seconds = time.perf_counter() - t0
    print(f"{name}: protection of the whole partner grid (indicators, disproportionality, tables): {seconds:5.1f} s "
          "(once per snapshot and settings, started when the snapshot goes live)")
    counts = shares(prot)
    for kind, target in (("whole service", 90), ("one dimension", 70), ("locality, then one", None),
                         ("locality, 12 months", None)):
        a, shown = counts.get((kind, "all"), 0), counts.get((kind, "shown"), 0)
        if not a:
            continue
        prim, sec = counts.get((kind, "primary"), 0), counts.get((kind, "secondary"), 0)
        showable = a - prim
        share = 100 * shown / max(showable, 1)
        verdict = "no target" if target is None else f"target {target}%: {'met' if share >= target else 'MISSED'}"
        print(f"  {kind:<19} cells shown {shown:5d} of {a:5d} = {100 * shown / max(a, 1):5.1f}% | of those not "
              f"resting on 1-4 themselves: {share:5.1f}% ({verdict}) | primary {prim}, secondary {sec}"
              f" | marked 'withheld' (size not given) {counts.get((kind, 'withheld'), 0)}")
    return seconds


protect_s = report("default demo (1,500 children, to 31 Mar 2024)", demo_dataset())
report("the same service exported on 15 Nov 2023 (last 12 months to 30 Sep 2023)",
       demo_dataset(end=dt.date(2023, 11, 15)))

Store(os.environ["YJ_DATABASE_URL"]).ensure_demo()
PAGES = ["overview", "kpi_detail", "disproportionality", "ete_accommodation", "reoffending", "disposals_caseload"]
for n, name in enumerate(PAGES):
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=600)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    if n == 0:
        print(f"first partner page after a restart with nothing warmed (computes the protection, progress bar "
              f"shown): {first:5.1f} s; with the protection started at load, a partner arriving t s after it "
              f"waits max(0, {protect_s:.1f} - t) s plus the page")
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

# 4. a restart: the protection computed above was kept in the database (PartnerProtection.dump); a new server
# process reads it instead of computing it. Streamlit's caches are emptied, as a restart empties them.
import streamlit as st  # noqa: E402

st.cache_resource.clear()
st.cache_data.clear()
at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=600)
t0 = time.perf_counter()
at.run()
assert not at.exception, at.exception
print(f"first partner page after a restart, the protection kept in the database: {time.perf_counter() - t0:5.1f} s "
      "(`python -m yj_metrics protect`, run by scripts/run_app.sh before the server starts, keeps it for a "
      "snapshot loaded outside the app)")
