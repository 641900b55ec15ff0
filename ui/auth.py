"""Roles. Without an identity provider the role comes from ``YJ_ROLE`` (default manager).

Every page calls :func:`require_role` at its very top: a fresh server's first request can run
a page file directly (legacy multipage mode), skipping ``app.py``.
"""
from __future__ import annotations

import os

import streamlit as st

ROLES = ("manager", "board", "partner")
ROLE_LABELS = {"manager": "Service manager", "board": "Board member", "partner": "Partner"}
EVERYONE = ROLES
MANAGERS = ("manager",)
MANAGERS_AND_BOARD = ("manager", "board")


def current_role() -> str:
    """The viewer's role; an unrecognised value gets the most restricted role (partner)."""
    role = os.environ.get("YJ_ROLE", "manager").strip().lower()
    return role if role in ROLES else "partner"


def can_see_children() -> bool:
    """Only managers see child-level rows."""
    return current_role() == "manager"


def suppressed_view() -> bool:
    """Partners see every figure through small-number suppression."""
    return current_role() == "partner"


def require_role(*allowed: str) -> str:
    """Stop the page with a clear refusal unless the viewer's role is allowed; return the role."""
    role = current_role()
    if role not in allowed:
        st.error(f"Access denied: this page is for {', '.join(ROLE_LABELS[r] for r in allowed).lower()}s only. "
                 f"You are signed in as a {ROLE_LABELS[role].lower()}.", icon=":material/block:")
        st.markdown("[Go to the Board overview](./)")
        st.stop()
    return role
