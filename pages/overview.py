"""Board overview: the scorecard of every national indicator and KPI for the quarter."""
import streamlit as st

from ui import data, fmt, scorecard
from ui.audit import audit, download_button
from ui.auth import EVERYONE, current_role
from ui.page import guarded, start
from yj_metrics.indicators import INDICATORS
from yj_metrics.narrative import indicator_sentence
from yj_metrics.periods import last_quarters, quarter_of

present = scorecard.presenting()
role, period, filters = start("Board overview", EVERYONE, compact=present)


@guarded
def body():
    quarter = quarter_of(period.end)
    show_scorecard(quarter)
    if present:
        return
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
            use_filters = st.checkbox(f"Build for the current filters ({fmt.md_escape(filters.describe())})", key="pack_filtered",
                                      help="Every slide, page and file name then names the filters.")
    if st.button("Build the board pack", icon=":material/slideshow:", key="build_pack"):
        from yj_metrics.report import build_board_pack

        chosen = filters if use_filters else None
        with st.spinner("Building the board pack..."):
            pack = build_board_pack(data.live_dataset(), quarter, current_role(), settings=data.settings(),
                                    edition=edition, filters=chosen, notes=data.board_notes(quarter.label))
        audit("board_pack_built", quarter=quarter, filters=chosen, edition=edition,
              files=[pack.pptx_name, pack.pdf_name, pack.xlsx_name])
        st.session_state["board_pack"] = pack
    pack = st.session_state.get("board_pack")
    if pack is not None:
        st.caption(f"Built for: {fmt.md_escape(pack.filters.describe()) if pack.filters else 'the whole service'}.")
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


def show_scorecard(quarter):
    """Tiles, then every headline indicator in one table row, exceptions first if asked."""
    scorecard.style(present)
    if period.kind != "quarter":
        st.info(f"The scorecard is read by quarter: showing {quarter.label}, the quarter ending {fmt.fmt_date(period.end)}.")
    quarters = last_quarters(quarter, 5)  # oldest first; includes the previous quarter and a year earlier
    cards = {q: {r.indicator: r for r in res} for q, res in data.scorecards(quarters, filters).items()}
    results = list(cards[quarter].values())
    previous, year_ago = cards[quarters[-2]], cards[quarters[0]]
    trends = {i: [cards[q][i] for q in quarters if i in cards[q]] for i in cards[quarter]}
    rows = scorecard.rows(results, previous, trends, INDICATORS)
    scorecard.tiles(rows)
    c1, c2, c3 = st.columns([2, 2, 1.2], vertical_alignment="center")
    first = c1.toggle("Exceptions first (red, then clearly worse)", value=present,
                      key=f"exceptions_first_{int(present)}",
                      help="Red indicators first, then those clearly worse than last quarter (the 95% intervals "
                           "do not overlap), then the rest.")
    said = c2.toggle("Show what each figure says", key="show_narrative")
    if c3.button("Leave presentation mode" if present else "Presentation mode", key="present_toggle",
                 icon=":material/close_fullscreen:" if present else ":material/present_to_all:"):
        scorecard.set_presenting(not present)
    narrative = {r.indicator: indicator_sentence(r, previous.get(r.indicator), year_ago.get(r.indicator),
                                                 INDICATORS[r.indicator]) for r in results} if said else None
    if filters:
        st.caption(":material/info: Benchmarks are for the whole service, so they are not shown beside these "
                   "filtered figures.")
    scorecard.table(scorecard.exceptions_first(rows) if first else rows, benchmarks=not filters, narrative=narrative)
    notes = ["Rates per population are for the rolling 12 months to the quarter end; reoffending is the latest "
             "12-month cohort whose follow-up is complete; the KPIs are for orders ending in the quarter.",
             "RAG: ● Green meets the local target, ▲ Amber within tolerance, ■ Red misses it. Better or worse: "
             "the way the figure moved; clearly: the 95% intervals do not overlap. Trends run oldest to newest. "
             "Click an indicator for its detail."]
    note = fmt.small_base_note(results)
    if note:
        notes.append(note)
    st.caption(" ".join(notes))


body()
