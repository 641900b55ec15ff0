"""Youth justice board dashboard: the entry point (`streamlit run app.py`).

Every page checks the viewer's role itself: a fresh server's first request can run a page
file directly (legacy multipage mode) without this file.
"""
import streamlit as st

from ui.nav import visible_pages

st.set_page_config(page_title="Youth justice board", page_icon=":material/balance:", layout="wide")
pages = [st.Page(path, title=title, icon=icon, url_path=url, default=(url == "overview"))
         for path, title, icon, url, _ in visible_pages()]
st.navigation(pages, position="hidden").run()
