"""Youth justice board dashboard: the entry point (`streamlit run app.py`).

Every page checks the viewer's role itself: a fresh server's first request can run a page
file directly (legacy multipage mode) without this file. Every page is registered, so that a
deep link to a page someone may not open gets the page's own refusal (written to the audit
log); the sidebar links (ui/nav.py) show only the pages of the viewer's role.
"""
import streamlit as st

from ui.nav import PAGES

st.set_page_config(page_title="Youth justice board", page_icon=":material/balance:", layout="wide")
pages = [st.Page(path, title=title, icon=icon, url_path=url, default=(url == "overview"))
         for path, title, icon, url, _ in PAGES]
st.navigation(pages, position="hidden").run()
