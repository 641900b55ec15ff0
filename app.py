"""Youth justice board dashboard: the entry point (`streamlit run app.py`).

Every page checks the viewer's role itself (a fresh server may run a page file directly).
"""
import streamlit as st

from ui.auth import EVERYONE, MANAGERS, MANAGERS_AND_BOARD, current_role

st.set_page_config(page_title="Youth justice board", page_icon=":material/balance:", layout="wide")

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
    ("pages/settings.py", "Settings", ":material/settings:", "settings", MANAGERS),
]

role = current_role()
pages = [st.Page(path, title=title, icon=icon, url_path=url, default=(url == "overview"))
         for path, title, icon, url, who in PAGES if role in who]
st.navigation(pages).run()
