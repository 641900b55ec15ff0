"""Upload (managers only): validate the monthly workbook and store it as the live snapshot."""
import hashlib
from dataclasses import replace

import streamlit as st

from ui import data
from ui.audit import audit, csv_download, download_button
from ui.auth import MANAGERS, viewer
from ui.fmt import md_escape, plain_table
from ui.page import guarded, start
from yj_metrics.errors import StoreReadOnlyError
from yj_metrics.reading import prepare_worker

role, _, _ = start("Upload the monthly workbook", MANAGERS, filters=False)


@st.cache_data(show_spinner=False)
def _template() -> bytes:
    from yj_metrics.writing import template_xlsx

    return template_xlsx()


def _audit_upload(name, raw, report, result) -> None:
    if result is None:
        outcome = "rejected"
    else:
        outcome = "accepted" if result.created else "already loaded"
    audit("upload", snapshot=result.snapshot.id if result else False, file_name=name,
          sha256=hashlib.sha256(raw).hexdigest(), bytes=len(raw), outcome=outcome,
          errors=len(report.errors), warnings=len(report.warnings), unreadable=bool(report.unreadable))


@guarded
def body():
    st.write("Upload the case-level workbook exported from the case management system (`.xlsx`, or `.xlsm` read "
             "for values only). Every problem is listed with its sheet, row and column; nothing is stored unless "
             "the file has no errors.")
    download_button("Download the blank template", _template(), "yj_workbook_template.xlsx", kind="template",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template")
    store = data.get_store()
    if store.read_only:
        st.error(StoreReadOnlyError(store.where, "no workbook can be stored").message, icon=":material/lock:")
        return
    prepare_worker()  # a reading worker boots while the manager chooses the file
    up = st.file_uploader("Workbook (up to 50 MB)", type=["xlsx", "xlsm"], key="workbook",
                          help="One sheet per entity: Children, Outcomes, Interventions (required) and the optional "
                               "sheets. Files over 50 MB are refused: save the workbook without other sheets or "
                               "images and try again.")
    if up is None:
        return
    checked = st.session_state.get("_yj_upload")
    if checked is None or checked[0] != up.file_id:  # a new file (not this page running again after it)
        report, result = _check(up, store)
        checked = (up.file_id, up.name, replace(report, dataset=None), result)
        st.session_state["_yj_upload"] = checked
        if result is not None and result.created:
            data.clear_caches()
            st.rerun()  # from the top: the banners are drawn again from the new live data
    _show(*checked[1:])


def _check(up, store):
    """Validate and store the uploaded file, audited; returns (report, result)."""
    raw = up.getvalue()  # cache on bytes, never on the UploadedFile
    name = md_escape(up.name)  # the browser's file name, shown literally in labels and messages
    with st.status(f"Checking {name}...", expanded=False) as status:
        status.write("Reading and validating every sheet...")
        v = viewer()
        report, result = store.load(raw, up.name, loaded_by=v.who or "manager")
        _audit_upload(up.name, raw, report, result)
        if result is None:
            status.update(label=f"{name}: not loaded", state="error")
        else:
            status.update(label=f"{name}: checked", state="complete")
    return report, result


def _show(file_name, report, result) -> None:
    """What the check found and what was stored."""
    if report.unreadable:
        st.error(md_escape(report.unreadable), icon=":material/error:")
        return
    if report.problems:
        df = report.to_frame()
        n_err, n_warn = len(report.errors), len(report.warnings)
        (st.error if n_err else st.warning)(
            f"{n_err} error(s) and {n_warn} warning(s)." + (" Nothing was stored: fix the errors and upload again."
                                                            if n_err else " The workbook was loaded."))
        st.dataframe(plain_table(df), hide_index=True, key="problems")
        csv_download("Download the problem list (CSV)", df, f"{file_name}_problems.csv", key="problems_csv")
    if result is not None:
        if result.created:
            st.success(md_escape(result.message), icon=":material/check_circle:")
        else:
            st.info(md_escape(result.message))
        s = result.snapshot
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Children", f"{s.row_counts.get('Children', 0):,}")
        c2.metric("Outcomes", f"{s.row_counts.get('Outcomes', 0):,}")
        c3.metric("Interventions", f"{s.row_counts.get('Interventions', 0):,}")
        c4.metric("Covers", f"{s.covers_start:%d %b %Y} to {s.covers_end:%d %b %Y}" if s.covers_start else "–")

body()
