"""ETE and accommodation: start vs end, school age vs above, provision, hours, pathways."""
import pandas as pd
import streamlit as st

from ui import data, fmt
from ui.audit import csv_download
from ui.auth import EVERYONE
from ui.charts import breakdown_bars, grouped_bars, stacked_bars
from ui.page import guarded, start

role, period, filters = start("ETE and accommodation", EVERYONE)

IDS = ["kpi1_accommodation", "kpi2_ete", "ete_engagement_hours", "kpi3_send", "kpi4_mental_health",
       "kpi5_substance_misuse"]


@guarded
def body():
    res = {r.indicator if r.by is None else (r.indicator, r.by, r.group): r for r in data.compute(period, filters, IDS)}
    st.caption(f"Children whose order ended in {period.label}; each child once (most serious, then most recent order). "
               "Unknown suitability counts as not suitable.")

    def pct(i):
        return res.get(i)

    rows = [("Accommodation", pct("kpi1_accommodation_start"), pct("kpi1_accommodation")),
            ("ETE", pct("kpi2_ete_start"), pct("kpi2_ete"))]
    df = pd.DataFrame({"measure": [r[0] for r in rows],
                       "At the start": [r[1].value if r[1] else None for r in rows],
                       "At the end": [r[2].value if r[2] else None for r in rows]})
    c1, c2 = st.columns(2)
    c1.plotly_chart(grouped_bars(df, "measure", ["At the start", "At the end"], ["At the start", "At the end"],
                                 "Suitable accommodation and ETE: start vs end of order (%)", "%"), key="startend")
    ages = [pct("kpi2_ete_school_age"), pct("kpi2_ete_above_school_age"), pct("ete_engagement_hours_school_age"),
            pct("ete_engagement_hours_above_school_age")]
    df2 = pd.DataFrame({"group": ["School age", "Above school age"],
                        "Suitable ETE at end": [ages[0].value if ages[0] else None, ages[1].value if ages[1] else None],
                        "25+/16+ hours attended": [ages[2].value if ages[2] else None, ages[3].value if ages[3] else None]})
    c2.plotly_chart(grouped_bars(df2, "group", ["Suitable ETE at end", "25+/16+ hours attended"],
                                 ["Suitable ETE at end", "25+ (school age) / 16+ hours attended"],
                                 "ETE by school age (%)", "%"), key="schoolage")
    summary = [r for r in (pct(i) for i in ["kpi1_accommodation_start", "kpi1_accommodation", "kpi2_ete_start", "kpi2_ete",
                                              "kpi2_ete_school_age", "kpi2_ete_above_school_age", "ete_engagement_hours",
                                              "kpi3_send", "kpi3_send_suitable_ete", "kpi4_mental_health",
                                              "kpi4_mental_health_attended", "kpi5_substance_misuse",
                                              "kpi5_substance_misuse_attended"]) if r is not None]
    st.dataframe(pd.DataFrame([{"measure": r.label, "value": fmt.protected_marker(r) if fmt.is_protected(r) else fmt.short_value(r.value, r.unit),
                                "children": fmt.fraction(r),
                                "RAG": r.rag or "", "note": r.note} for r in summary]), hide_index=True)

    c3, c4 = st.columns(2)
    for col, ind, title in ((c3, "kpi2_ete_provision", "ETE provision at the end of the order"),
                            (c4, "kpi1_accommodation_type", "Accommodation at the end of the order")):
        groups = [r for k, r in res.items() if isinstance(k, tuple) and k[0] == ind and (r.numerator or 0) > 0
                  or (isinstance(k, tuple) and k[0] == ind and r.numerator is None)]
        col.plotly_chart(breakdown_bars(groups, f"{title} (children)", "children"), key=ind)
    hours = [r for k, r in res.items() if isinstance(k, tuple) and k[0] == "kpi2_ete_hours"]
    st.plotly_chart(breakdown_bars(hours, "Hours of ETE offered at the end of the order (children)", "children"),
                    key="hours")

    st.subheader("ETE status of the open caseload at each month end")
    shown = data.table("ete_status", period, filters)  # protected for partners
    counts = [c for c in shown.columns if c not in ("month_end", "total")]
    plot = shown.assign(month=[fmt.fmt_date(d) for d in shown["month_end"]])  # markers: a "hidden" part
    st.plotly_chart(stacked_bars(plot, "month", counts, "Open cases by ETE status at month end (children)", "children",
                                 total="total"), key="etestatus")
    st.dataframe(fmt.plain_table(shown), hide_index=True)
    csv_download("Download (CSV)", shown, "ete_status.csv", key="dl_ete", period=period, filters=filters)


body()
