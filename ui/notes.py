"""The manager's commentary and actions beside an indicator for a quarter.

Managers write them; board members and partners read them (partners only on indicators they may
see). Every save is written to the audit log. Commentary is about the service: the page asks the
manager not to name children, and stores the text as written.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from yj_metrics.commentary import ACTION_STATUSES, Action, Commentary
from yj_metrics.errors import StoreReadOnlyError
from yj_metrics.periods import fmt_date, parse_quarter

from . import data
from .audit import audit
from .auth import viewer
from .fmt import md_escape

_SAVED = "_yj_notes_saved"
NO_CHILDREN = ("Commentary and actions are about the service, never about a child: do not name children or give "
               "their ids. The board and partners read them, and they go into the board pack.")


def notes_panel(indicator: str | None, quarter: str, role: str) -> None:
    """Commentary and actions on ``indicator`` for ``quarter`` (a label such as ``2023-24 Q4``)."""
    from yj_metrics.disclosure import NOT_FOR_PARTNERS

    if indicator is None or role == "partner" and indicator in NOT_FOR_PARTNERS:
        return
    notes = data.board_notes(quarter)
    commentary, actions = notes.for_indicator(indicator)
    previous = tuple(a for a in notes.previous_actions if a.indicator == indicator)
    previous_label = parse_quarter(quarter).previous().label
    st.subheader(f"Commentary and actions, {quarter}")
    saved = st.session_state.pop(_SAVED, None)
    if saved:
        st.success(saved, icon=":material/check_circle:")
    store = data.get_store()
    if role != "manager" or store.read_only:
        if role == "manager":
            st.error(StoreReadOnlyError(store.where, "commentary and actions cannot be saved").message,
                     icon=":material/lock:")
        _read(commentary, actions, previous, previous_label)
        return
    st.caption(f":material/child_care: {NO_CHILDREN}")
    _edit_commentary(indicator, quarter, commentary)
    _edit_actions(indicator, quarter, actions, previous, previous_label)


def _read(commentary: Commentary | None, actions, previous, previous_label: str) -> None:
    if commentary is None:
        st.caption("No commentary for this quarter yet.")
    else:
        st.markdown("  \n".join(md_escape(line) for line in commentary.text.splitlines()))  # line breaks kept
        st.caption(_signed(commentary))
    if actions:
        st.markdown("**Actions agreed this quarter**")
        st.dataframe(_table(actions), hide_index=True, key="notes_actions")
    if previous:
        st.markdown(f"**Actions agreed in {previous_label}, as they stand now**")
        st.dataframe(_table(previous), hide_index=True, key="notes_previous")


def _signed(note: Commentary | Action) -> str:
    return f"By {md_escape(note.updated_by or 'the service manager')}, {fmt_date(note.updated_at)}."


def _due(a: Action) -> str:
    if a.due is None:
        return "no due date"
    return f"due {fmt_date(a.due)}" + (", overdue" if a.overdue(dt.date.today()) else "")


def _table(actions) -> pd.DataFrame:
    today = dt.date.today()
    return pd.DataFrame([{"id": a.id, "action": a.text, "owner": a.owner, "due": fmt_date(a.due), "status": a.status,
                          "overdue": a.overdue(today), "quarter": a.quarter} for a in actions],
                        columns=["id", "action", "owner", "due", "status", "overdue", "quarter"])


def _who() -> str:
    v = viewer()
    return v.who or v.subject


def _saved(message: str) -> None:
    """Every session reads the notes again; this page runs again and says ``message`` here."""
    data.clear_board_notes()
    st.session_state[_SAVED] = message
    st.rerun()


def _edit_commentary(indicator: str, quarter: str, commentary: Commentary | None) -> None:
    with st.form(f"commentary_{indicator}_{quarter}"):
        text = st.text_area("Commentary for the board", commentary.text if commentary else "", key="notes_text",
                            max_chars=4000, help="Blank removes the commentary.")
        if commentary is not None:
            st.caption(_signed(commentary))
        save = st.form_submit_button("Save commentary")
    if save and text.strip() != (commentary.text if commentary else ""):
        data.get_store().save_commentary(indicator, quarter, text, _who())
        audit("commentary_saved", indicator=indicator, quarter=quarter, characters=len(text.strip()),
              before_characters=len(commentary.text) if commentary else 0)
        _saved("Commentary saved." if text.strip() else "Commentary removed.")


def _edit_actions(indicator: str, quarter: str, actions, previous, previous_label: str) -> None:
    mine = (*actions, *previous)
    if mine:
        st.markdown(f"**Actions** agreed this quarter and in {previous_label}")
        with st.form(f"actions_{indicator}_{quarter}"):
            chosen = {}
            for a in mine:
                c1, c2 = st.columns([3, 1])
                c1.markdown(f"{md_escape(a.text)}  \n:gray[{md_escape(a.owner or 'no owner')}, {_due(a)} · {a.quarter}]")
                chosen[a] = c2.selectbox("Status", ACTION_STATUSES, index=ACTION_STATUSES.index(a.status),
                                         key=f"action_status_{a.id}", label_visibility="collapsed")
            save = st.form_submit_button("Save statuses")
        changed = [(a, new) for a, new in chosen.items() if new != a.status] if save else []
        for a, new in changed:
            data.get_store().set_action_status(a.id, new, _who())
            audit("action_updated", action_id=a.id, indicator=indicator, quarter=a.quarter, before=a.status,
                  after=new)
        if changed:
            _saved(f"{len(changed)} action(s) updated.")
    with st.form(f"new_action_{indicator}_{quarter}", clear_on_submit=True):
        st.markdown("**Add an action**")
        text = st.text_input("Action", key="new_action_text", max_chars=500)
        c1, c2, c3 = st.columns(3)
        owner = c1.text_input("Owner", key="new_action_owner", max_chars=200)
        due = c2.date_input("Due", value=None, key="new_action_due", format="DD/MM/YYYY")
        status = c3.selectbox("Status", ACTION_STATUSES, key="new_action_status")
        add = st.form_submit_button("Add the action")
    if add:
        if not text.strip():
            st.error("Describe the action before adding it.")
            return
        action = data.get_store().add_action(indicator, quarter, text, _who(), owner=owner, due=due, status=status)
        audit("action_added", action_id=action.id, indicator=indicator, quarter=quarter, owner=action.owner,
              due=action.due, status=action.status)
        _saved("Action added.")
