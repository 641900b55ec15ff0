"""Data quality: completeness by snapshot, Not known and Unknown shares, changes since the last one."""
import pandas as pd
import streamlit as st

from ui import data
from ui.fmt import md_escape, plain_table
from ui.auth import MANAGERS_AND_BOARD
from ui.page import guarded, start
from yj_metrics.store import completeness

role, _, _ = start("Data quality", MANAGERS_AND_BOARD, filters=False)


@st.cache_data(show_spinner=False)
def _completeness(url, snapshot_id):
    return completeness(data._dataset(url, snapshot_id))


@st.cache_data(show_spinner=False)
def _children(url, snapshot_id):
    return set(data._dataset(url, snapshot_id).children["child_id"])


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


body()
