"""KPI detail: one indicator over time with its interval, target and benchmarks, and its breakdowns."""
import streamlit as st

from ui import data, fmt, scorecard
from ui.audit import child_rows_viewed, csv_download
from ui.auth import EVERYONE, can_see_children
from ui.charts import COUNT_UNITS, breakdown_bars, clicked_x, trend_chart
from ui.filters import narrow
from ui.page import guarded, start
from ui.urlstate import choice
from ui.yjb_return import return_panel
from yj_metrics.counting import BREAKDOWN_LABELS
from yj_metrics.indicators import INDICATORS, reporting_period, supported_breakdowns
from yj_metrics.narrative import indicator_sentence
from yj_metrics.periods import last_quarters, quarter_of

present = scorecard.presenting()  # opened from the scorecard in presentation mode
role, period, filters = start("KPI detail", EVERYONE, compact=present)
if present:
    scorecard.back_to_scorecard()


def _partner_breakdown(by: str, read_period):
    """A partner's breakdown: the period partners compare groups in, and (for the dimensions partners may
    look at within a locality) the locality they picked. Returns (locality or None, period)."""
    from yj_metrics.disclosure import PARTNER_LOCAL_DIMENSIONS

    periods = data.protection().periods
    if read_period.kind != "financial_year":
        by_period = periods.breakdown_for(read_period)
        if (by_period.start, by_period.end) != (read_period.start, read_period.end):
            st.caption(f"Partners compare groups by financial year or over the last 12 months: showing "
                       f"{by_period.label}.")
        read_period = by_period  # (the period the warm-up computed, when it is the same months)
    localities = data.protection().localities
    if by not in PARTNER_LOCAL_DIMENSIONS or not localities:
        return None, read_period
    picked = st.selectbox("Within a locality", ["All localities", *localities], key="detail_loc",
                          help="Partners can look within one locality, then by one more dimension, by financial "
                               "year or over the last 12 months.")
    if picked == "All localities":
        return None, read_period
    local = periods.local_for(read_period)
    years = periods.local_years
    if local is None:
        last_12 = (" or over the last 12 months (choose \"Last 12 months\" as the period)"
                   if periods.last_12_months is not None else "")
        st.info(f"Within a locality, partners compare groups in the financial years {years[0].label} to "
                f"{years[-1].label}{last_12}: choose a quarter in those years. Showing all localities.")
        return None, read_period
    if (local.start, local.end) != (read_period.start, read_period.end):
        st.caption(f"Within a locality, partners compare groups by financial year or over the last 12 months: "
                   f"showing {local.label}.")
    return picked, local


@guarded
def body():
    ids = list(INDICATORS)
    if role == "partner":
        from yj_metrics.disclosure import NOT_FOR_PARTNERS

        ids = [i for i in ids if i not in NOT_FOR_PARTNERS]
    ind = choice("indicator", "Indicator", ids, st.session_state.get("detail_indicator", "fte_rate"),
                 key="detail_select", format_func=lambda i: INDICATORS[i].label)
    st.session_state["detail_indicator"] = ind
    d = INDICATORS[ind]
    st.caption(d.description)
    if ind.startswith("kpi") or ind.startswith("ete_"):
        st.caption("As the YJB counts: each child counts once per quarter, on their most serious order and then "
                   "the most recent sentence; a year or a rolling year adds up its quarters, as the YJB adds up "
                   "the quarterly returns. See docs/COUNTING_RULES.md.")
    quarter = quarter_of(period.end)
    read_period = reporting_period(ind, quarter) if period.kind == "quarter" else period
    current = [r for r in data.compute(read_period, filters, [ind]) if r.indicator == ind and r.by is None]
    if not current:
        st.info("No figure for this indicator in the period.")
        return
    r = current[0]
    c1, c2, c3 = st.columns(3)
    c1.metric(f"{d.label} ({read_period.label})", fmt.value(r.value, r.unit))
    c2.metric("Children / events", fmt.fraction(r))
    c3.markdown("**Against target**  \n" + fmt.rag_badge(r.rag))
    if r.incomplete:
        st.warning("The reoffending follow-up for this cohort is not complete yet: the figure can still rise.")
    whole_service = not filters  # benchmarks and the family rank describe the whole service only
    if whole_service and r.benchmarks:
        st.markdown("**Benchmarks** " + fmt.md_escape(" · ".join(  # comparator names come from the data
            [f"{b.comparator} {fmt.short_value(b.value, r.unit)}" for b in r.benchmarks]
            + ([f"rank {r.rank} of {r.rank_of} in the family group"] if r.rank else []))))
    elif not whole_service:
        st.caption(fmt.WHOLE_SERVICE_BENCHMARKS)
    st.markdown(fmt.md_escape(indicator_sentence(r, None, None, d, benchmarks=whole_service)))

    quarters = last_quarters(quarter, 8)
    periods = [reporting_period(ind, q) for q in quarters]
    series = data.trend(ind, periods, filters)
    target = data.settings().targets.get(ind)
    st.plotly_chart(trend_chart(series, f"{d.label}: last 8 quarters" + (
        "" if r.unit in COUNT_UNITS else ", with 95% interval"), r.unit, target, benchmarks=whole_service), key="trend")

    dims = [b for b in supported_breakdowns(ind) if b in BREAKDOWN_LABELS]
    if dims:
        by = choice("by", "Break down by", dims, key="detail_by", widget=st.radio, format_func=BREAKDOWN_LABELS.get,
                    horizontal=True)
        locality = None
        if role == "partner":
            locality, read_period = _partner_breakdown(by, read_period)
        groups = [x for x in data.compute(read_period, filters, [ind], by, locality) if x.indicator == ind]
        where = f" in {locality}" if locality else ""
        ev = st.plotly_chart(breakdown_bars(groups, f"{d.label} by {BREAKDOWN_LABELS[by].lower()}{where} "
                                            f"({read_period.label})", r.unit), key=f"bars_{by}", on_select="rerun",
                             selection_mode="points")
        picked = clicked_x(ev) if role != "partner" else None
        if picked and by in ("ethnicity", "gender", "age_band", "locality", "disposal"):
            narrow(by, picked)
        note = fmt.small_base_note(groups)
        if note:
            st.caption(note)
        table = [{"group": x.group, "value": fmt.protected_marker(x) if fmt.is_protected(x) else
                  fmt.short_value(x.value, x.unit),
                  "numerator": fmt.protected_marker(x) if fmt.is_protected(x) else fmt.count(x.numerator),
                  "denominator": fmt.protected_marker(x) if fmt.is_protected(x) and x.denominator is None
                  else fmt.count(x.denominator), "95% interval": "" if x.ci_low is None else
                  f"{fmt.short_value(x.ci_low, x.unit)} to {fmt.short_value(x.ci_high, x.unit)}", "note": x.note}
                 for x in groups]
        import pandas as pd

        df = pd.DataFrame(table)
        st.dataframe(df, hide_index=True)
        csv_download("Download this table (CSV)", df, f"{ind}_by_{by}{'_' + locality if locality else ''}.csv",
                     key="dl_breakdown",
                     period=read_period, filters=filters)
    if can_see_children():
        children = st.expander("Children behind this figure (managers only)", on_change="rerun", key="kids_exp")
        if children.open:  # computed, shown and audited only when opened
            rows = data.children_behind(read_period, filters, ind)
            child_rows_viewed(rows, indicator=ind, period=read_period, filters=filters)
            children.dataframe(fmt.plain_table(rows), hide_index=True)
    return_panel(quarter)


body()


# ---------------------------------------------------------------- the manager's commentary and actions
# (ui/notes.py) for the indicator and the quarter shown above: managers write, everyone else reads.
from ui.notes import notes_panel  # noqa: E402

guarded(notes_panel)(st.session_state.get("detail_indicator"), quarter_of(period.end).label, role)
