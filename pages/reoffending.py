"""Reoffending: the live tracker of cohorts, binary and frequency rates, breakdowns, prolific share."""
import streamlit as st

from ui import data, fmt
from ui.audit import child_rows_viewed
from ui.auth import EVERYONE, can_see_children
from ui.charts import breakdown_bars, clicked_x, trend_chart
from ui.filters import narrow
from ui.page import guarded, start
from yj_metrics.counting import BREAKDOWN_LABELS, BREAKDOWNS
from yj_metrics.periods import financial_year, fy_start_year, last_quarters, quarter_of, rolling_year

role, period, filters = start("Reoffending", EVERYONE)
IDS = ["reoffending_rate", "reoffences_per_reoffender", "reoffences_per_child", "reoffending_prolific_share"]


@guarded
def body():
    cohort_period = period
    st.caption(f"Cohort: children given a caution or a court sentence, or released from custody, in {period.label}. "
               "A reoffence is committed within 12 months and proven within a further 6.")
    res = {r.indicator: r for r in data.compute(cohort_period, filters, IDS) if r.by is None}
    if not res:
        st.info("No cohort in this period.")
        return
    if any(r.incomplete for r in res.values()):
        st.warning("Follow-up not yet complete for part of this cohort: the rates can still rise. "
                   "Choose an earlier period for final figures.", icon=":material/hourglass_top:")
    c = st.columns(4)
    for col, i in zip(c, IDS):
        r = res[i]
        col.metric(r.label, fmt.value(r.value, r.unit), help=fmt.fraction(r))
        col.caption(fmt.fraction(r))
    by = st.radio("Break down by", BREAKDOWNS, format_func=BREAKDOWN_LABELS.get, horizontal=True, key="re_by")
    by_period = cohort_period
    if role == "partner" and by_period.kind != "financial_year":
        by_period = financial_year(fy_start_year(by_period.end))
        st.caption(f"Partners compare groups by financial year: showing the {by_period.label} cohort.")
    groups = [r for r in data.compute(by_period, filters, ["reoffending_rate"], by) if r.indicator == "reoffending_rate"]
    ev = st.plotly_chart(breakdown_bars(groups, f"Binary reoffending rate by {BREAKDOWN_LABELS[by].lower()} (%)", "%"),
                         key=f"re_bars_{by}", on_select="rerun", selection_mode="points")
    picked = clicked_x(ev) if role != "partner" else None
    if picked and by in ("ethnicity", "gender", "age_band", "locality", "disposal"):
        narrow(by, picked)
    quarters = last_quarters(quarter_of(period.end), 8)
    series = data.trend("reoffending_rate", [rolling_year(q.end) for q in quarters], filters)
    st.plotly_chart(trend_chart(series, "Binary reoffending rate, rolling 12-month cohorts (%)", "%",
                                data.settings().targets.get("reoffending_rate")), key="re_trend")
    inc = [r.end for r in series if r.incomplete]
    if inc:
        st.caption(f"Cohorts ending on or after {fmt.fmt_date(min(inc))} do not yet have complete follow-up.")
    if can_see_children():
        cohort = st.expander("The cohort, child by child (managers only)", on_change="rerun", key="kids_exp")
        if cohort.open:  # computed, shown and audited only when opened
            rows = data.children_behind(cohort_period, filters, "reoffending_rate")
            child_rows_viewed(rows, indicator="reoffending_rate", period=cohort_period, filters=filters)
            cohort.dataframe(rows, hide_index=True)


body()
