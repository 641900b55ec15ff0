"""Access and audit (managers only): who can sign in with which role, and the audit log."""
import datetime as dt

import pandas as pd
import streamlit as st

from ui import data
from ui.audit import csv_download
from ui.auth import MANAGERS, service_name, sign_in_configured
from ui.fmt import plain_table
from ui.page import guarded, start

role, _, _ = start("Access and audit", MANAGERS, filters=False)

# Fixed stylesheet (no data in it): the date range's day, month and year boxes are each a target of at least
# 24 by 24 px (WCAG 2.2 target size; Streamlit draws them about 18 by 20).
DATE_TARGETS_CSS = """<style>
[data-testid="stDateInputField"] [role="spinbutton"] { display: inline-block; min-width: 24px; min-height: 24px;
  line-height: 24px; text-align: center; }
</style>"""

ACTIONS = {
    "sign_in": "Signed in", "sign_out": "Signed out", "access_refused": "Refused access",
    "upload": "Upload", "settings_changed": "Settings changed", "view_child_rows": "Viewed child-level rows",
    "download": "Download", "board_pack_built": "Board pack built", "roles_loaded": "Role mapping loaded",
    "rollback": "Snapshot made live again", "commentary_saved": "Commentary saved", "action_added": "Action added",
    "action_updated": "Action updated",
}


@guarded
def body():
    store = data.get_store()
    st.subheader("Who can see what")
    if not sign_in_configured():
        st.info("Local mode: nobody signs in, so the role mapping below is not used. See the README to connect "
                "the council's identity provider.")
    rules = store.role_rules(service_name() or None)
    if rules:
        st.dataframe(plain_table(pd.DataFrame([r.to_dict() for r in rules])), hide_index=True, key="role_rules",
                     column_config={"kind": "Matches", "value": "E-mail, group or domain", "role": "Role",
                                    "organisation": "Organisation", "service": "Service (blank: all)",
                                    "note": "Note"})
    else:
        st.warning("No role-mapping rules yet: with sign-in on, nobody can see any data.")
    st.caption("The mapping is changed by IT with this command (see the README); every change is written to the "
               "audit log.")
    st.code("python -m yj_metrics roles load roles.csv", language=None)

    st.subheader("Audit log")
    st.html(DATE_TARGETS_CSS)
    people = store.audit_people()
    c1, c2, c3 = st.columns([2, 2, 2])
    person = c1.selectbox("Person", ["Everyone", *people], key="audit_person")
    actions = c2.multiselect("Action", list(ACTIONS), format_func=ACTIONS.get, key="audit_actions",
                             placeholder="Every action")
    today = dt.datetime.now(dt.timezone.utc).date()
    days = c3.date_input("Dates", (today - dt.timedelta(days=30), today), key="audit_dates", format="DD/MM/YYYY")
    if isinstance(days, (tuple, list)):  # a range; while choosing, only its first day
        since = days[0] if len(days) > 0 else None
        until = days[1] if len(days) > 1 else since
    else:
        since = until = days
    log = store.audit_entries(None if person == "Everyone" else person, actions or None, since, until)
    st.caption(f"{len(log):,} entries, newest first (times in UTC).")
    shown = log.assign(at=log["at"].map(lambda t: t.strftime("%d %b %Y %H:%M:%S")) if len(log) else log["at"],
                       action=log["action"].map(lambda a: ACTIONS.get(a, a)))
    st.dataframe(plain_table(shown), hide_index=True, key="audit_table", column_config={"detail": st.column_config.TextColumn(
        "Detail", width="large")})
    csv_download("Download the audit log (CSV)", log.assign(at=log["at"].astype(str)), "audit_log.csv",
                 key="dl_audit", person=person, actions=actions, since=since, until=until)


body()
