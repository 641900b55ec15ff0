"""Board overview: the scorecard of every national indicator and KPI for the quarter."""
import streamlit as st

from ui import data, fmt
from ui.audit import audit, download_button
from ui.auth import EVERYONE, current_role
from ui.page import guarded, start
from yj_metrics.indicators import INDICATORS, reporting_period
from yj_metrics.narrative import indicator_sentence
from yj_metrics.periods import last_quarters, quarter_of

role, period, filters = start("Board overview", EVERYONE)


@guarded
def body():
    quarter = quarter_of(period.end)
    if period.kind != "quarter":
        st.info(f"The scorecard is read by quarter: showing {quarter.label}, the quarter ending {fmt.fmt_date(period.end)}.")
    quarters = last_quarters(quarter, 5)  # oldest first; includes the previous quarter and a year earlier
    cards = {q: {r.indicator: r for r in res} for q, res in data.scorecards(quarters, filters).items()}
    results = list(cards[quarter].values())
    previous, year_ago = cards[quarters[-2]], cards[quarters[0]]
    st.caption("Rates per population are for the rolling 12 months to the quarter end; reoffending is the latest "
               "12-month cohort whose follow-up is complete; the KPIs are for orders ending in the quarter. "
               "RAG: ● Green meets the local target, ▲ Amber within tolerance, ■ Red misses it.")
    note = fmt.small_base_note(results)
    if note:
        st.caption(note)
    header = st.columns([2.2, 1.2, 1.1, 1.0, 1.5, 1.3, 4.6])
    for col, text in zip(header, ["Indicator", "Value", "Children / events", "RAG", "Benchmarks", "Trend (5 quarters)", "What it says"]):
        col.markdown(f"**{text}**")
    for r in results:
        d = INDICATORS[r.indicator]
        cols = st.columns([2.2, 1.2, 1.1, 1.0, 1.5, 1.3, 4.6], vertical_alignment="center")
        if cols[0].button(d.label, key=f"open_{r.indicator}", help="Open this indicator's detail",
                          type="tertiary"):
            st.session_state["detail_indicator"] = r.indicator
            st.switch_page("pages/kpi_detail.py", query_params={**st.query_params.to_dict(), "indicator": r.indicator})
        cols[0].caption(reporting_period(r.indicator, quarter).label)
        cols[1].markdown(f"### {fmt.short_value(r.value, r.unit)}")
        cols[1].caption(r.unit)
        cols[2].markdown(fmt.fraction(r))
        cols[3].markdown(fmt.rag_badge(r.rag))
        bench = "; ".join(f"{b.comparator} {fmt.short_value(b.value, r.unit)}" for b in r.benchmarks
                          if b.comparator in ("National", "Regional", "Family"))
        if r.rank:
            bench += f"; rank {r.rank} of {r.rank_of}"
        cols[4].caption(bench or "no benchmark")
        series = [cards[q][r.indicator] for q in quarters if r.indicator in cards[q]]
        line = fmt.spark([x.value for x in series])
        if line:
            first, last = series[0], series[-1]
            # HTML for the tooltip and colour only: the line is block characters made by fmt.spark from
            # numbers, never text from the data
            cols[5].markdown(f"<span style='font-size:1.05rem;white-space:nowrap;color:#0072B2' "
                             f"title='oldest to newest'>{line}</span>", unsafe_allow_html=True)
            cols[5].caption(f"{fmt.short_value(first.value, r.unit)} → {fmt.short_value(last.value, r.unit)}")
        sentence = indicator_sentence(r, previous.get(r.indicator), year_ago.get(r.indicator), d)
        cols[6].caption(fmt.md_escape(sentence))  # benchmark names come from the data

    st.divider()
    st.subheader("Board pack")
    use_filters = False
    if role == "partner":
        edition = "protected"
        st.caption("A PowerPoint deck, a PDF and the scorecard in Excel, with the same protected figures you see "
                   "here.")
    else:
        edition = st.radio("Edition", ["board", "protected"], horizontal=True, key="pack_edition",
                           format_func={"board": "Board edition (every figure; OFFICIAL-SENSITIVE)",
                                        "protected": "Protected edition for circulation (as partners see it)"}.get)
        st.caption("The board edition is for the meeting and must not be circulated. The protected edition hides "
                   "small numbers exactly as the partner view does, and can go to partners. The pack is for the "
                   "whole service" + (", whatever the sidebar filters." if filters else "."))
        if filters and edition == "board":
            use_filters = st.checkbox(f"Build for the current filters ({filters.describe()})", key="pack_filtered",
                                      help="Every slide, page and file name then names the filters.")
    if st.button("Build the board pack", icon=":material/slideshow:", key="build_pack"):
        from yj_metrics.report import build_board_pack

        chosen = filters if use_filters else None
        with st.spinner("Building the board pack..."):
            pack = build_board_pack(data.live_dataset(), quarter, current_role(), settings=data.settings(),
                                    edition=edition, filters=chosen)
        audit("board_pack_built", quarter=quarter, filters=chosen, edition=edition,
              files=[pack.pptx_name, pack.pdf_name, pack.xlsx_name])
        st.session_state["board_pack"] = pack
    pack = st.session_state.get("board_pack")
    if pack is not None:
        st.caption(f"Built for: {pack.filters.describe() if pack.filters else 'the whole service'}.")
        c1, c2, c3 = st.columns(3)
        with c1:
            download_button("Download PowerPoint", pack.pptx, pack.pptx_name, key="dl_pptx", kind="pack",
                            mime="application/vnd.openxmlformats-officedocument.presentationml.presentation")
        with c2:
            download_button("Download PDF", pack.pdf, pack.pdf_name, mime="application/pdf", key="dl_pdf",
                            kind="pack")
        with c3:
            download_button("Download the scorecard (Excel)", pack.xlsx, pack.xlsx_name, key="dl_scorecard_xlsx",
                            kind="pack", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

body()
