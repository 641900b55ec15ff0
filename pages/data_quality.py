"""Data quality: completeness by snapshot, Not known and Unknown shares, changes since the last one."""
import pandas as pd
import streamlit as st

from ui import data
from ui.fmt import md_escape, plain_table
from ui.auth import MANAGERS_AND_BOARD
from ui.page import guarded, start
from yj_metrics.changes import case_changes
from yj_metrics.periods import fmt_date
from yj_metrics.store import completeness

role, _, _ = start("Data quality", MANAGERS_AND_BOARD, filters=False)


@st.cache_data(show_spinner=False)
def _completeness(url, snapshot_id):
    return completeness(data._dataset(url, snapshot_id))


@st.cache_data(show_spinner=False)
def _children(url, snapshot_id):
    return set(data._dataset(url, snapshot_id).children["child_id"])


@st.cache_data(show_spinner=False)
def _case_changes(url, before_id, after_id):
    return case_changes(data._dataset(url, before_id), data._dataset(url, after_id))


def _n(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _case_section(ch, prev_id: int) -> None:
    """Orders closed and opened, end dates changed, new and late records, corrections (counts only)."""
    since = fmt_date(ch.since) if ch.since else "the start"
    st.markdown(f"**Orders and other interventions** since snapshot #{prev_id}, whose data end on {since}: "
                f"{ch.closed_total:,} closed, {ch.opened_total:,} opened, "
                f"{ch.reopened:,} reopened (an end date removed) and {_n(ch.end_moved, 'end date')} changed. "
                f"{_n(sum(t.count for t in ch.new_outcomes), 'new outcome')}; "
                f"{_n(ch.backdated, 'record')} added late (dated on or before {since}).")
    kinds = sorted({t.kind for t in ch.closed + ch.opened})
    if kinds:
        closed, opened = {t.kind: t.count for t in ch.closed}, {t.kind: t.count for t in ch.opened}
        st.dataframe(pd.DataFrame({"type": kinds, "closed": [closed.get(k, 0) for k in kinds],
                                   "opened": [opened.get(k, 0) for k in kinds]}),
                     hide_index=True, key="dq_closed_opened")
        st.caption("Closed: an end date set that was blank, or a new order that ended after " + since + ". "
                   "Opened: a new order that started after it.")
    if ch.new_outcomes:
        st.dataframe(pd.DataFrame([{"outcome type": t.kind, "new outcomes": t.count} for t in ch.new_outcomes]),
                     hide_index=True, key="dq_new_outcomes")
    if ch.corrected:
        st.markdown("**Values changed** in records kept under the same id (corrections, and updates such as a "
                    "completion recorded)")
        st.dataframe(pd.DataFrame([{"sheet": c.sheet, "column": c.column, "records": c.records}
                                   for c in ch.corrected]), hide_index=True, key="dq_corrected")
    else:
        st.caption("No value changed in the records kept under the same id.")


@guarded
def body():
    from yj_metrics.store import default_url

    snaps = data.get_store().snapshots()
    labels = {s.id: s.label for s in snaps}
    sid = st.selectbox("Snapshot", list(labels), format_func=labels.get, key="dq_snapshot")
    info = next(s for s in snaps if s.id == sid)
    st.caption(f"Covers {info.covers_start:%d %b %Y} to {info.covers_end:%d %b %Y}; loaded "
               f"{info.loaded_at:%d %b %Y %H:%M} by {md_escape(info.loaded_by or 'the system')}.")
    comp = _completeness(default_url(), sid)
    sheet = st.radio("Sheet", comp["sheet"].unique().tolist(), horizontal=True, key="dq_sheet")
    st.dataframe(plain_table(comp[comp["sheet"] == sheet].drop(columns="sheet"), 1), hide_index=True,
                 column_config={"filled (%)": st.column_config.ProgressColumn("filled (%)", min_value=0, max_value=100,
                                                                              format="%.1f"),
                                "not known (%)": st.column_config.NumberColumn("not known or unknown (%)",
                                                                               format="%.1f")})
    worst = comp[(comp["rows"] > 0)].sort_values("not_known_pct", ascending=False).head(5)
    st.caption("Most 'Not known' or 'Unknown': " + "; ".join(f"{r.sheet}.{r.column} {r.not_known_pct:.1f}%"
                                                             for r in worst.itertuples() if r.not_known_pct))
    older = [s for s in snaps if s.id < sid]
    st.subheader("What changed since the previous snapshot")
    if not older:
        st.info("This is the first snapshot.")
        return
    prev = older[0]
    rows = [{"sheet": k, "previous": prev.row_counts.get(k, 0), "this": v, "change": v - prev.row_counts.get(k, 0)}
            for k, v in info.row_counts.items()]
    st.dataframe(plain_table(pd.DataFrame(rows)), hide_index=True)
    now, before = _children(default_url(), sid), _children(default_url(), prev.id)
    st.write(f"{len(now - before):,} children are new and {len(before - now):,} are no longer in the workbook "
             f"(compared with snapshot #{prev.id}).")
    _case_section(_case_changes(default_url(), prev.id, sid), prev.id)


body()
