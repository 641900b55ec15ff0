"""The pages, who may see them, and the sidebar links (the same in both multipage modes)."""
from __future__ import annotations

import streamlit as st

from .auth import EVERYONE, MANAGERS, MANAGERS_AND_BOARD, current_role

PAGES = [
    # (file, title, icon, url path, who may see it)
    ("pages/overview.py", "Board overview", ":material/dashboard:", "overview", EVERYONE),
    ("pages/kpi_detail.py", "KPI detail", ":material/query_stats:", "kpi_detail", EVERYONE),
    ("pages/disproportionality.py", "Disproportionality", ":material/balance:", "disproportionality", EVERYONE),
    ("pages/ete_accommodation.py", "ETE and accommodation", ":material/school:", "ete_accommodation", EVERYONE),
    ("pages/reoffending.py", "Reoffending", ":material/replay:", "reoffending", EVERYONE),
    ("pages/disposals_caseload.py", "Disposals and caseload", ":material/work:", "disposals_caseload", EVERYONE),
    ("pages/data_quality.py", "Data quality", ":material/fact_check:", "data_quality", MANAGERS_AND_BOARD),
    ("pages/upload.py", "Upload", ":material/upload_file:", "upload", MANAGERS),
    ("pages/snapshots.py", "Snapshots", ":material/history:", "snapshots", MANAGERS),
    ("pages/settings.py", "Settings", ":material/settings:", "settings", MANAGERS),
    ("pages/audit.py", "Access and audit", ":material/policy:", "audit", MANAGERS),
]


def visible_pages(role: str | None = None):
    role = role or current_role()
    return [p for p in PAGES if role in p[4]]


def sidebar_links() -> None:
    """Links to the pages this role may open (drawn by every page)."""
    with st.sidebar:
        for path, title, icon, _, _ in visible_pages():
            try:
                st.page_link(path, label=title, icon=icon)
            except Exception:  # a page not registered in this run mode: leave the link out
                pass
        st.divider()
