"""The manager's panel that prepares the quarterly KPI return to the YJB (KPI detail page)."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from ui import data
from ui.auth import ROLE_LABELS, current_role, viewer
from ui.fmt import md_escape, plain_table
from yj_metrics import yjb_return as yr


def return_panel(quarter) -> None:
    """Managers only: build the return for ``quarter`` from the whole live data (no filters),
    report any failed internal check, offer the .xlsx, and open the children behind a cell."""
    if current_role() != "manager":
        return
    with st.expander(f"Quarterly KPI return to the YJB, {quarter.label} (managers only)"):
        st.caption("The YJB summary-template layout: one sheet per KPI, order types by school age. "
                   "It always covers the whole service (the page filters do not apply).")
        key = f"yjb_return_{quarter.label}"
        yot_code = data.settings().yot_code
        if not yot_code:
            st.caption("No YOT code is set: a manager sets it on the Settings page, and it is printed on the return.")
        v = viewer()
        c1, c2 = st.columns(2)
        name = c1.text_input("Prepared by (name)", v.name or v.email or "", max_chars=80, key="yjb_return_preparer")
        job = c2.text_input("Their role", ROLE_LABELS.get(v.role or "", ""), max_chars=80,
                            key="yjb_return_preparer_role")
        if st.button("Prepare the YJB return", key="yjb_return_button"):
            ds = data.live_dataset()
            ret = yr.build_return(ds, quarter, yot_code=yot_code,
                                  preparer=yr.Preparer(name.strip(), job.strip(), dt.date.today()))
            st.session_state[key] = ret
        ret = st.session_state.get(key)
        if ret is None:
            return
        if ret.problems:
            st.error("The return failed its internal checks, so it cannot be downloaded:\n\n"
                     + "\n".join(f"- {md_escape(p)}" for p in ret.problems))
            return
        st.success("Internal checks passed: every total is the sum of its parts and the shared "
                   "denominators agree with the dashboard.")
        st.caption(md_escape(f"Prepared by {ret.preparer.describe() or '(not given)'}"
                             + (f"; YOT code {ret.yot_code}" if ret.yot_code else "") + ".")
                   + " Rows marked † split children by school age on the order's start date; the file's notes "
                     "say what each split counts.")
        st.dataframe(plain_table(yr.summary_frame(ret)), hide_index=True)
        from .audit import child_rows_viewed, download_button

        download_button("Download the return (.xlsx)", yr.return_xlsx(ret),
                        f"yjb_kpi_return_{quarter.label.replace(' ', '')}.xlsx", key="yjb_return_download",
                        kind="yjb_return", quarter=quarter.label,
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        sheet = st.selectbox("Open a cell: sheet", [s.name for s in ret.sheets], key="yjb_return_sheet")
        s = ret.sheet(sheet)
        row = st.selectbox("Row", list(s.rows), key="yjb_return_row")
        col = st.selectbox("Column", list(s.columns), format_func=lambda c: " / ".join(dict.fromkeys(c)),
                           key="yjb_return_col")
        st.caption(f"{s.value(row, col):.0f} in this cell.")
        rows = yr.cell_children(data.live_dataset(), quarter, sheet, row, col)
        child_rows_viewed(rows, view="yjb_return_cell", quarter=quarter.label, sheet=sheet, row=str(row), column=str(col))
        st.dataframe(plain_table(rows), hide_index=True)
