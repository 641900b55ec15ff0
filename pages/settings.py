"""Settings (managers only): targets, remand cost rates, suppression threshold, stale-data warning, benchmarks,
population."""
import json
from dataclasses import replace

import pandas as pd
import streamlit as st

from ui import data
from ui.audit import audit
from ui.auth import MANAGERS
from ui.fmt import md_escape, plain_table
from ui.page import guarded, rerun_with, start
from ui.targets import read_targets, target_inputs
from yj_metrics.errors import StoreReadOnlyError
from yj_metrics.targets import target_changes

role, _, _ = start("Settings", MANAGERS, filters=False)


@guarded
def body():
    store = data.get_store()
    current = store.get_settings()
    if store.read_only:
        st.error(StoreReadOnlyError(store.where, "settings cannot be saved").message, icon=":material/lock:")
    with st.form("settings"):
        name = st.text_input("Service name (on the board pack)", current.service_name)
        threshold = st.number_input("Suppress counts from 1 up to", min_value=1, max_value=20,
                                    value=int(current.suppression_threshold),
                                    help="Partners see these counts as '<N' (with secondary suppression).")
        stale_days = st.number_input("Warn that the data may be out of date after (days)", min_value=1,
                                     max_value=366, value=int(current.stale_after_days), key="stale_after_days",
                                     help="Every page says so when the live workbook was loaded longer ago.")
        st.markdown("**Remand cost per night (£)**")
        rates = {k: st.number_input(md_escape(k), min_value=0.0, value=float(v), step=1.0, key=f"rate_{k}")
                 for k, v in current.remand_rates.items()}
        yot_code = st.text_input("YOT code (on the YJB return)", current.yot_code, max_chars=12, key="yot_code",
                                 help="The code the YJB gives the service, printed on the quarterly KPI return.")
        bands = target_inputs(current.targets)
        saved = st.form_submit_button("Save settings", disabled=store.read_only)
    if saved:
        targets, problems = read_targets(bands)
        if problems:
            st.error("Nothing was saved. Fix these targets and save again:\n\n"
                     + "\n".join(f"- {md_escape(p)}" for p in problems), icon=":material/error:")
            return
        new = replace(current, service_name=name, suppression_threshold=int(threshold), remand_rates=rates,
                      targets=targets, stale_after_days=int(stale_days), yot_code=yot_code.strip())
        store.save_settings(new)
        data.clear_caches()
        before, after = json.loads(current.to_json()), json.loads(new.to_json())
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) and k != "targets")
        by_target = target_changes(current.targets, new.targets)  # one entry per indicator whose band changed
        changed += [f"target {i}" for i in by_target]
        audit("settings_changed", changed=changed, before={k: before.get(k) for k in changed if k in before},
              after={k: after.get(k) for k in changed if k in after}, targets=by_target)
        rerun_with("Settings saved. Every page now uses them.")  # the banners at the top use them too
    ds = data.live_dataset()
    with st.expander("Benchmarks in the live data"):
        st.caption("From the workbook's Benchmarks sheet and any data/benchmarks*.csv file "
                   "(columns indicator, period_start, period_end, comparator, value).")
        st.dataframe(plain_table(ds.benchmarks), hide_index=True)
    with st.expander("Population (10-17) in the live data"):
        pop = ds.population.groupby(["year", "locality"], dropna=False)["population"].sum().reset_index()
        st.dataframe(plain_table(pop), hide_index=True)


body()
