"""Reoffending: the live tracker of cohorts, binary and frequency rates, breakdowns, prolific share."""
import pandas as pd
import streamlit as st

from ui import data, fmt
from ui.audit import child_rows_viewed
from ui.auth import EVERYONE, can_see_children
from ui.charts import INCOMPLETE, breakdown_bars, clicked_x, trend_chart
from ui.filters import narrow
from ui.page import guarded, start
from ui.urlstate import choice
from yj_metrics.counting import BREAKDOWN_LABELS, BREAKDOWNS
from yj_metrics.indicators import reporting_period
from yj_metrics.periods import financial_year, fy_start_year, last_quarters, quarter_of, rolling_year

role, period, filters = start("Reoffending", EVERYONE)
IDS = ["reoffending_rate", "reoffences_per_reoffender", "reoffences_per_child", "reoffending_prolific_share"]


def _complete_year(p):
    """The latest financial year ending by the end of ``p`` (partners compare groups by year)."""
    fy = financial_year(fy_start_year(p.end))
    return fy if fy.end <= p.end else financial_year(fy_start_year(p.end) - 1)


@guarded
def body():
    if period.kind == "quarter":  # the board's cohort: the latest whose follow-up is complete
        cohort_period = reporting_period("reoffending_rate", period)
        st.caption(f"Cohort: children given a caution or a court sentence, or released from custody, in "
                   f"{cohort_period.label}: the latest 12 months whose follow-up is complete in {period.label}, "
                   "as on the board scorecard. A reoffence is committed within 12 months and proven within a "
                   "further 6. Choose a financial year, rolling 12 months or custom dates to follow a later cohort.")
    else:
        cohort_period = period
        st.caption(f"Cohort: children given a caution or a court sentence, or released from custody, in "
                   f"{period.label}. A reoffence is committed within 12 months and proven within a further 6.")
    res = {r.indicator: r for r in data.compute(cohort_period, filters, IDS) if r.by is None}
    if not res:
        st.info("No cohort in this period.")
        return
    provisional = any(r.incomplete for r in res.values())
    if provisional:
        st.warning("Follow-up not yet complete for part of this cohort: these rates are not final and can still "
                   "rise. Choose the quarter in the sidebar for the latest final figures.",
                   icon=":material/hourglass_top:")
    c = st.columns(4)
    for col, i in zip(c, IDS):
        r = res[i]
        col.metric(r.label + (f" ({INCOMPLETE})" if provisional else ""), fmt.value(r.value, r.unit),
                   help=fmt.fraction(r))
        col.caption(fmt.fraction(r))
    by = choice("by", "Break down by", BREAKDOWNS, key="re_by", widget=st.radio, format_func=BREAKDOWN_LABELS.get,
                horizontal=True)
    by_period = cohort_period
    last_12 = data.protection().periods.last_12_months if role == "partner" else None
    if role == "partner" and by_period.kind != "financial_year" and not (
            last_12 is not None and (last_12.start, last_12.end) == (by_period.start, by_period.end)):
        by_period = _complete_year(by_period)
        st.caption(f"Partners compare groups by financial year or over the last 12 months: showing the "
                   f"{by_period.label} cohort.")
    groups = [r for r in data.compute(by_period, filters, ["reoffending_rate"], by) if r.indicator == "reoffending_rate"]
    ev = st.plotly_chart(breakdown_bars(groups, f"Binary reoffending rate by {BREAKDOWN_LABELS[by].lower()} (%)", "%"),
                         key=f"re_bars_{by}", on_select="rerun", selection_mode="points")
    picked = clicked_x(ev) if role != "partner" else None
    if picked and by in ("ethnicity", "gender", "age_band", "locality", "disposal"):
        narrow(by, picked)
    _trend(period)
    if can_see_children():
        cohort = st.expander("The cohort, child by child (managers only)", on_change="rerun", key="kids_exp")
        if cohort.open:  # computed, shown and audited only when opened
            rows = data.children_behind(cohort_period, filters, "reoffending_rate")
            child_rows_viewed(rows, indicator="reoffending_rate", period=cohort_period, filters=filters)
            cohort.dataframe(fmt.plain_table(rows), hide_index=True)


def _trend(period):
    """Rolling 12-month cohorts over three years: the final ones solid, the rest dashed and marked."""
    quarters = last_quarters(quarter_of(period.end), 12)
    series = data.trend("reoffending_rate", [rolling_year(q.end) for q in quarters], filters)
    whole_service = not filters
    st.plotly_chart(trend_chart(series, "Binary reoffending rate, rolling 12-month cohorts (%)", "%",
                                data.settings().targets.get("reoffending_rate"), benchmarks=whole_service),
                    key="re_trend")
    if not whole_service:
        st.caption(fmt.WHOLE_SERVICE_BENCHMARKS)
    st.dataframe(pd.DataFrame({
        "cohort": [f"12 months to {fmt.fmt_date(r.end)}" for r in series],
        "rate": [fmt.protected_marker(r) if fmt.is_protected(r) else fmt.short_value(r.value, r.unit) for r in series],
        "reoffenders / children": [fmt.fraction(r) for r in series],
        "follow-up": [f"{INCOMPLETE}: the rate is not final" if r.incomplete else "complete" for r in series],
    }).iloc[::-1], hide_index=True)


body()
