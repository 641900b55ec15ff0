"""The top of every page: config, role gate, demo and stale-data banners, filters, breadcrumb."""
from __future__ import annotations

import datetime as dt
import functools
import logging

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from yj_metrics.errors import kind_of, log_detail, plain_message
from yj_metrics.periods import fmt_date

from .auth import LOCAL_MODE_NOTE, ROLE_LABELS, require_role, sign_out_button, suppressed_view, viewer
from .data import await_partner_view, demo_banner, get_store, live_dataset, settings
from .filters import breadcrumb, sidebar_filters
from .fmt import md_escape
from .nav import sidebar_links

log = logging.getLogger("yj_dashboard")


def start(title: str, allowed: tuple[str, ...], filters: bool = True, compact: bool = False):
    """Set up a page; returns (role, period, filters). The role is checked before anything else.
    ``compact`` (presentation mode) puts the local-mode, demo and read-only notes on one line."""
    st.set_page_config(page_title=f"{title} · Youth justice board", page_icon=":material/balance:", layout="wide")
    st.session_state["_yj_page"] = title
    try:
        v = viewer()
        if v.local and not compact:
            st.caption(f":material/computer: **{LOCAL_MODE_NOTE}** This computer only, with the "
                       f"{ROLE_LABELS.get(v.role, v.role).lower()} role (YJ_ROLE); see the README to set up "
                       "sign-in for others.")
        role = require_role(*allowed, page=title)
        base = live_dataset()
        sidebar_links()
        store = get_store()
        info = store.latest()
        if compact:
            notes = [f":material/computer: {LOCAL_MODE_NOTE}"] if v.local else []
            notes += [":material/science: **Demo data**: synthetic, not real children."] if info and info.is_demo else []
            notes += [":material/lock: Read-only database."] if store.read_only else []
            if notes:
                st.caption(" · ".join(notes))
        else:
            demo_banner()
        stale_warning(info, settings().stale_after_days)
        st.title(title)
        flash = st.session_state.pop("_yj_flash", None)
        if flash and flash[0] == title:
            st.success(flash[1], icon=":material/check_circle:")
        if store.read_only and not compact:
            st.caption(":material/lock: The database is read-only: nothing can be uploaded or changed, and "
                       "views and downloads are not recorded in the audit log.")
    except (StopException, RerunException):
        raise
    except Exception as exc:  # a broken database must not show a traceback, SQL or values
        storage_failure(exc)
    with st.sidebar:
        who = f"{v.who_md} · " if v.signed_in else ""
        org = f" ({md_escape(v.organisation)})" if v.organisation else ""
        st.caption(f"Signed in as {who}**{ROLE_LABELS[role]}**{org}" + (f" · live data: snapshot #{info.id}, "
                   f"{md_escape(info.file_name)}" if info else ""))
    sign_out_button()
    if suppressed_view():
        from yj_metrics.disclosure import explanation

        await_partner_view()
        st.caption(explanation(settings().suppression_threshold))
    if not filters:
        return role, None, None
    period, flt = sidebar_filters(base, partner=suppressed_view())
    breadcrumb(period, flt)
    if flt and live_dataset(flt).children.empty:
        st.info(f"No children in this group ({md_escape(flt.describe())}). Clear a filter with the buttons above to "
                "see figures.", icon=":material/filter_alt_off:")
        st.stop()
    return role, period, flt


def stale_warning(info, days: int) -> None:
    """Say plainly when the live data were loaded more than ``days`` days ago (not for the demo)."""
    if info is None or info.is_demo:
        return
    age = (dt.datetime.now(dt.timezone.utc) - info.loaded_at).days
    if age > days:
        st.warning(f"**The data may be out of date.** The live data were loaded on {fmt_date(info.loaded_at)}, "
                   f"{age} days ago (more than the {days} days set on the Settings page). A manager can upload the "
                   "latest workbook on the Upload page.", icon=":material/update:")


def rerun_with(message: str) -> None:
    """Run the page again from the top, so that its banners show the change just made, then ``message``
    (markdown: escape any data or user text in it)."""
    st.session_state["_yj_flash"] = (st.session_state.get("_yj_page"), message)
    st.rerun()


def storage_failure(exc: BaseException) -> None:
    """Tell the user plainly (no SQL, driver message or values), log the detail, retry by itself."""
    log.error("cannot open the data: %s", log_detail(exc))
    st.error(plain_message(exc), icon=":material/error:")
    if kind_of(exc) in ("unreachable", "locked", "database"):
        _retry_when_back()
    st.stop()


@st.fragment(run_every=5)
def _retry_when_back() -> None:
    """Every 5 s: once the database answers again, the whole page runs again by itself."""
    try:
        get_store().ping()
    except Exception as exc:
        log.warning("the database is still unavailable: %s", log_detail(exc))
        st.caption("Waiting for the database; this page reloads by itself when it is back.")
        return
    st.rerun(scope="app")


def guarded(fn):
    """Run a page body; an unexpected error becomes a plain message, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (StopException, RerunException):  # st.stop / st.rerun pass through
            raise
        except Exception as exc:
            log.error("page failed: %s", log_detail(exc))
            if kind_of(exc) != "unexpected":
                st.error(plain_message(exc), icon=":material/error:")
                return
            st.error("Something went wrong drawing this page. Try another period or clear the filters; if it "
                     "persists, tell the service manager (the technical detail is in the server log).")
    return wrapper
