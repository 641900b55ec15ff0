"""Disposals and caseload: disposal mix by year, caseload by team, scaled approach, workers, remands."""
import pandas as pd
import streamlit as st

from ui import data, fmt
from ui.audit import csv_download
from ui.auth import EVERYONE, suppressed_view
from ui.charts import stacked_bars
from ui.page import guarded, start
from ui.urlstate import choice
from yj_metrics.periods import financial_year, fy_start_year
role, period, filters = start("Disposals and caseload", EVERYONE)


def _show(shown, name="table"):
    """A table as it may be shown to this viewer (the data layer protects it for partners)."""
    st.dataframe(fmt.plain_table(shown, 1), hide_index=True)
    csv_download("Download (CSV)", shown, f"{name}.csv", key=f"dl_{name}", period=period, filters=filters)


@guarded
def body():
    st.subheader("Disposals by type")
    last_fy = fy_start_year(period.end)
    years = [financial_year(y) for y in range(last_fy - 3, last_fy + 1)]
    mix = pd.concat([data.table("disposals", fy, filters).assign(year=fy.label) for fy in years])
    types = [t for t in pd.unique(mix["disposal_type"]) if t != "Total"]  # the table's order
    wide = mix.pivot(index="year", columns="disposal_type", values="disposals").reset_index()
    # protected cells keep their marker: the chart draws them as one "hidden" part of the year's total
    st.plotly_chart(stacked_bars(wide, "year", types, "Disposals by type and financial year (number)", "disposals",
                                 total="Total"), key="mix")
    table_period = period
    if suppressed_view() and not data.protection().in_grid(period):  # partners: quarters and years only
        table_period = data.protection().periods.year_of(period)
        st.caption(f"Partners read the disposals table by quarter or financial year: showing {table_period.label}.")
    table = data.table("disposals", table_period, filters)
    st.caption(f"{table_period.label}: disposals, children (once per type) and share of all disposals, like the "
               "published plans' tables.")
    _show(table, "disposals")

    st.subheader(f"Open caseload on {fmt.fmt_date(period.end)}")
    c1, c2 = st.columns(2)
    with c1:
        by = choice("by", "By", ["team", "locality", "scaled_approach"], key="case_by", widget=st.radio, horizontal=True,
                    format_func={"team": "Team", "locality": "Locality", "scaled_approach": "Scaled approach"}.get)
        if suppressed_view():
            _show(_partner_caseload(by), f"caseload_{by}")
        else:
            _show(data.table("caseload", period, filters, by), f"caseload_{by}")
    with c2:
        res = {r.indicator: r for r in data.compute(period, filters, ["caseload_open", "caseload_per_worker"])}
        prev = {r.indicator: r for r in data.compute(period.previous(), filters, ["caseload_open"])}
        cur, before = res.get("caseload_open"), prev.get("caseload_open")
        delta = None
        if cur and before and cur.value is not None and before.value is not None:
            delta = f"{cur.value - before.value:+,.0f} on {period.previous().label}"
        st.metric("Open interventions", fmt.count(cur.value if cur else None), delta=delta, delta_color="off")
        w = res.get("caseload_per_worker")
        if not suppressed_view():
            st.metric("Per case worker", fmt.short_value(w.value if w else None, "per worker"))
        if not suppressed_view():
            per_worker = data.table("caseload", period, filters, "case_worker")
            st.caption("Caseload per worker")
            st.dataframe(fmt.plain_table(per_worker, 1), hide_index=True, height=200)

    st.subheader("Remands")
    rem = data.table("remands", period, filters)
    st.caption(f"Nights remanded within {period.label}, costed at the per-night rates in Settings.")
    _show(rem, "remands")
    if not suppressed_view():
        st.metric("Remand cost in the period", fmt.value(rem["cost"].sum(), "£"))


def _partner_caseload(by: str) -> pd.DataFrame:
    """Open interventions by team, locality or scaled approach at the financial year end, from
    the protected caseload figures (partners see breakdowns by financial year only)."""
    fy = data.protection().periods.breakdown_for(period)
    st.caption(f"Partners compare groups by financial year: caseload on {fmt.fmt_date(fy.end)}.")
    rs = [r for r in data.compute(fy, filters, ["caseload_open"], by) if r.indicator == "caseload_open"]
    return pd.DataFrame({by: [r.group for r in rs],
                         "interventions": [fmt.protected_marker(r) if fmt.is_protected(r) else fmt.count(r.numerator)
                                           for r in rs]})


body()
