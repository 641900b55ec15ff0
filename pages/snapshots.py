"""Snapshots (managers only): every workbook loaded, what changed from one to the next, and rollback."""
import pandas as pd
import streamlit as st

from ui import data
from ui.audit import identity
from ui.auth import MANAGERS, viewer
from ui.fmt import count, md_escape
from ui.page import guarded, rerun_with, start
from yj_metrics.errors import StoreReadOnlyError
from yj_metrics.periods import fmt_date

role, _, _ = start("Snapshots", MANAGERS, filters=False)

_PENDING = "_yj_rollback"


def _covers(covers) -> str:
    start_, end = covers
    return f"{fmt_date(start_)} to {fmt_date(end)}" if start_ else "no dates"


@guarded
def body():
    store = data.get_store()
    snaps = sorted(store.snapshots(), key=lambda s: s.id, reverse=True)  # newest load first
    live = store.latest()
    st.write("Every workbook stored, newest first. The live snapshot is the one every page shows; an older one "
             "can be made live again (rollback) and a newer one stays stored.")
    st.dataframe(pd.DataFrame([{
        "snapshot": s.id, "live": s.id == live.id, "file": s.file_name, "loaded": s.loaded_at.strftime("%d %b %Y %H:%M"),
        "loaded by": s.loaded_by or "the system", "covers": _covers((s.covers_start, s.covers_end)),
        "children": s.row_counts.get("Children", 0), "outcomes": s.row_counts.get("Outcomes", 0),
        "interventions": s.row_counts.get("Interventions", 0)} for s in snaps]),
        hide_index=True, key="snapshot_list")
    labels = {s.id: s.label + (" · live" if s.id == live.id else "") for s in snaps}
    sid = st.selectbox("Snapshot", list(labels), format_func=labels.get, key="snapshot_pick")
    chosen = next(s for s in snaps if s.id == sid)
    _sources(store, chosen)
    older = [s for s in snaps if s.id < sid]
    st.subheader("What changed from the snapshot before it")
    if older:
        _changes(older[0], chosen)
    else:
        st.info("This is the first snapshot.")
    st.subheader("Make it the live data")
    if store.read_only:
        st.error(StoreReadOnlyError(store.where, "no snapshot can be made live").message, icon=":material/lock:")
    elif sid == live.id:
        st.caption(f"Snapshot #{sid} is the live data.")
    else:
        _rollback(store, chosen, live)


def _sources(store, chosen) -> None:
    """Where each sheet of the snapshot came from: its own upload, or kept from the snapshot before."""
    sources = store.sheet_sources(chosen.id)
    if not sources:
        return
    with st.expander(f"Where each sheet of snapshot #{chosen.id} came from"):
        st.dataframe(pd.DataFrame([{"sheet": x.sheet.replace("_", " "), "rows": x.rows, "file": x.file_name,
                                    "uploaded": f"{fmt_date(x.loaded_at)} {x.loaded_at:%H:%M} UTC",
                                    "with snapshot": x.first_snapshot, "kept from before": "Yes" if x.kept else "No"}
                                   for x in sources]), hide_index=True, key="sheet_sources")


def _changes(before, after) -> None:
    ch = data.snapshot_changes(before.id, after.id)
    st.caption(f"Snapshot #{after.id} compared with #{before.id}. Records are matched by their pseudonymous ids.")
    st.dataframe(pd.DataFrame([{"sheet": c.sheet, f"#{before.id}": c.before, f"#{after.id}": c.after,
                                "added": c.added, "removed": c.removed} for c in ch.ids]),
                 hide_index=True, key="id_changes")
    st.markdown(f"**Dates covered**: {_covers(ch.covers_before)} in #{before.id}; "
                f"{_covers(ch.covers_after)} in #{after.id}.")
    rows = [{"figure": b.label, f"#{before.id}": count(b.value), f"#{before.id} period": b.period,
             f"#{after.id}": count(a.value), f"#{after.id} period": a.period} for b, a in zip(ch.headline_before, ch.headline_after)]
    if rows:
        st.markdown("**Headline figures** for the latest quarter of each")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="headline_changes")


def _rollback(store, chosen, live) -> None:
    """Ask first; then make ``chosen`` live again, audited with who, when and from/to."""
    if st.button(f"Make snapshot #{chosen.id} the live data", key="rollback", icon=":material/history:"):
        st.session_state[_PENDING] = chosen.id
    if st.session_state.get(_PENDING) != chosen.id:
        return
    st.warning(f"Every page will show snapshot #{chosen.id} ({md_escape(chosen.file_name)}, loaded "
               f"{fmt_date(chosen.loaded_at)}) instead of #{live.id} ({md_escape(live.file_name)}). Snapshot "
               f"#{live.id} stays stored and can be made live again. Go ahead?", icon=":material/warning:")
    c1, c2 = st.columns(2)
    if c1.button("Yes, make it live", key="rollback_confirm", type="primary"):
        st.session_state.pop(_PENDING)
        v = viewer()
        store.make_live(chosen.id, v.who or v.subject, audit=identity(v))
        data.clear_caches()
        rerun_with(f"Snapshot #{chosen.id} is the live data again (it was #{live.id}); every figure is "
                   "recomputed from it.")
    if c2.button("Cancel", key="rollback_cancel"):
        st.session_state.pop(_PENDING)
        st.rerun()


body()
