"""Disproportionality: stage-by-stage relative rate index with intervals, composition, table."""
import streamlit as st

from ui import data, fmt
from ui.audit import csv_download
from ui.auth import EVERYONE
from ui.charts import clicked_x, grouped_bars, rri_chart
from ui.filters import narrow
from ui.page import guarded, start
from ui.urlstate import choice
from yj_metrics import disproportionality as dp
from yj_metrics.periods import financial_year, fy_start_year

role, period, filters = start("Disproportionality", EVERYONE)
#: The stages compared: through the system (any outcome to custody), or first-time entrants.
CHAINS = {"Through the system (any outcome to custody)": dp.DEFAULT_CHAIN,
          "First-time entrants": ("population", "fte")}


def period_fy(p):
    """The financial year the page reads (a quarter's year)."""
    return financial_year(fy_start_year(p.end)) if p.kind == "quarter" else p
DIM_LABELS = {"ethnicity": "Ethnicity", "gender": "Gender", "age_band": "Age band", "looked_after": "Looked after",
              "locality": "Locality", "ethnicity_gender": "Ethnicity and gender"}


@guarded
def body():
    c1, c2, c3, c4 = st.columns(4)
    partner = role == "partner"
    if partner:
        from yj_metrics.disclosure import PARTNER_DP_DIMENSIONS
    dims = [d for d in dp.DIMENSIONS if not partner or d in PARTNER_DP_DIMENSIONS]
    by = choice("cmp", "Compare by", dims, key="dp_by", widget=c1.selectbox, format_func=DIM_LABELS.get)
    base = choice("stage", "Rate relative to", ["previous", "population"], key="dp_base", widget=c2.selectbox,
                  format_func={"previous": "the previous stage", "population": "the 10-17 population"}.get)
    pool = choice("pool", "Pool years", [1] if partner else [1, 2, 3], key="dp_pool", widget=c3.selectbox,
                  format_func=lambda n: "one year" if n == 1 else f"{n} years pooled",
                  help="Small numbers are unstable; pooling years steadies them."
                  + (" Partners see one financial year at a time." if partner else ""))
    c5, c6 = st.columns(2)
    chain = CHAINS[choice("stages", "Stages", list(CHAINS), key="dp_stages", widget=c5.selectbox)]
    locality = None
    if partner:  # partners' drill-down: a locality, then one more dimension (managers filter in the sidebar)
        from yj_metrics.counting import group_values

        locs = ["All localities"] + ([g for g in group_values("locality", data.live_dataset()) if g != "Not known"]
                                     if by != "locality" else [])
        picked_loc = choice("dploc", "Locality", locs, key="dp_loc", widget=c6.selectbox,
                            help="Partners can look within one locality, then by one more dimension.")
        locality = None if picked_loc == "All localities" else picked_loc
    # partners read disproportionality by financial year (the last 12 months: the year they end in, so far)
    fy = data.protection().periods.year_of(period) if partner else period_fy(period)
    results = data.stage_table(fy, filters, by, None, chain, pool, base, locality=locality)
    groups = [r.group for r in results if r.stage == chain[1]]
    default_ref = dp.DEFAULT_REFERENCE.get(by) or (groups[0] if groups else None)
    ref = choice("ref", "Reference group", groups, default_ref, key=f"dp_ref_{by}", widget=c4.selectbox)
    if ref != default_ref:
        results = data.stage_table(fy, filters, by, ref, chain, pool, base, locality=locality)
    where = f" {fmt.md_escape(locality)} locality." if locality else ""
    st.caption(f"{fy.label}{' and earlier years pooled' if pool > 1 else ''}.{where} RRI = the group's rate divided by the "
               f"{fmt.md_escape(ref)} rate. {dp.FLAG_LEGEND} 'Not known' is shown in the table but never compared.")
    if any(r.suppressed for r in results):
        st.caption("Some groups are protected: their counts and everything built on them are hidden.")
    ev = st.plotly_chart(rri_chart(results, f"Relative rate index by stage ({DIM_LABELS[by].lower()}, {fy.label})"),
                         key="rri", on_select="rerun", selection_mode="points")
    picked = clicked_x(ev) if not partner else None
    if picked and by in ("ethnicity", "gender", "age_band", "locality"):
        narrow(by, picked)

    st.subheader("Who is in the caseload, against the 10-17 population")
    if by in ("ethnicity", "gender", "age_band", "locality"):
        shown = data.table("composition", fy, filters, (by, locality) if locality else by)
        plot_df = fmt.plottable(shown, ["children", "share_of_children_pct", "share_of_population_pct"])
        st.plotly_chart(grouped_bars(plot_df, "group", ["share_of_children_pct", "share_of_population_pct"],
                                     ["Share of caseload", "Share of 10-17 population"],
                                     f"Caseload and population by {DIM_LABELS[by].lower()} (%)", "%"), key="composition",
                        on_select="rerun", selection_mode="points")
        st.dataframe(fmt.plain_table(shown, 1), hide_index=True)
    else:
        st.caption("Population figures are not kept for this dimension.")

    st.subheader("Table")
    df = dp.results_frame(results)
    cols = ["stage", "base_stage", "group", "events", "base", "rate", "rate_unit", "rri", "ci_low", "ci_high",
            "ci_method", "p_value", "flag", "expected", "excess", "share_of_events", "share_of_base", "note"]
    df = df[cols]
    df["flag"] = df["flag"].map(dp.flag_text)  # the symbol the chart draws, beside the word
    if partner:  # the one marker where a count (or what is built on it) is protected
        from yj_metrics.disclosure import marker_of_note

        t = data.settings().suppression_threshold
        marks = [marker_of_note(str(n), t) for n in df["note"]]
        # a hidden base is the previous stage's count for the group: it carries that row's marker
        of_stage = {(r.stage, r.group): mk for r, mk in zip(results, marks)}
        base_marks = [of_stage.get((r.base_stage, r.group)) or mk for r, mk in zip(results, marks)]
        for col, mks in (("events", marks), ("base", base_marks)):  # text: markers and counts in one column
            df[col] = [mk if (v is None or v != v) and mk else ("" if v is None or v != v else f"{v:.0f}")
                       for v, mk in zip(df[col], mks)]
    st.dataframe(fmt.plain_table(df, 3), hide_index=True)
    csv_download("Download the table (CSV)", df, f"disproportionality_{by}{'_' + locality if locality else ''}_{fy.label}.csv", key="dl_dp",
                 filters=filters)


body()
