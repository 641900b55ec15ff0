"""The top of every page: config, role gate, demo banner, filters, breadcrumb."""
from __future__ import annotations

import functools
import logging

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from .auth import ROLE_LABELS, require_role, suppressed_view
from .data import demo_banner, get_store, live_dataset, settings
from .filters import breadcrumb, sidebar_filters
from .nav import sidebar_links

log = logging.getLogger("yj_dashboard")


def start(title: str, allowed: tuple[str, ...], filters: bool = True):
    """Set up a page; returns (role, period, filters). The role is checked before anything else."""
    st.set_page_config(page_title=f"{title} · Youth justice board", page_icon=":material/balance:", layout="wide")
    role = require_role(*allowed)
    try:
        base = live_dataset()
    except Exception as exc:  # a broken database must not show a traceback
        log.exception("cannot open the data")
        st.error(f"The data could not be opened: {exc}. Check YJ_DATABASE_URL, or ask a manager to upload "
                 "the workbook again.")
        st.stop()
    sidebar_links()
    demo_banner()
    st.title(title)
    info = get_store().latest()
    with st.sidebar:
        st.caption(f"Signed in as **{ROLE_LABELS[role]}**" + (f" · live data: snapshot #{info.id}, "
                   f"{info.file_name}" if info else ""))
    if suppressed_view():
        from yj_metrics.disclosure import explanation

        st.caption(explanation(settings().suppression_threshold))
    if not filters:
        return role, None, None
    period, flt = sidebar_filters(base, partner=suppressed_view())
    breadcrumb(period, flt)
    return role, period, flt


def guarded(fn):
    """Run a page body; an unexpected error becomes a plain message, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (StopException, RerunException):  # st.stop / st.rerun pass through
            raise
        except Exception as exc:
            log.exception("page failed")
            st.error(f"Something went wrong drawing this page ({type(exc).__name__}: {exc}). "
                     "Try another period or clear the filters; if it persists, tell the service manager.")
    return wrapper
