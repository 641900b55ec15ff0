"""Writing the audit log from the app: who did what, on which snapshot, with which filters.

Every download button and every view of child-level rows goes through here, so that each one
leaves a row. Nothing about children beyond pseudonymous ids is written.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging

import pandas as pd
import streamlit as st

from yj_metrics.safe_export import csv_bytes

log = logging.getLogger("yj_dashboard")


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items() if v not in (None, (), [], "")}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "label") and hasattr(value, "start") and hasattr(value, "end"):  # a Period
        return {"label": value.label, "start": str(value.start), "end": str(value.end)}
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def audit(action: str, *, viewer_=None, snapshot: bool | int = True, **detail) -> None:
    """Append one row for the session's viewer. ``snapshot``: True = the live snapshot's id."""
    from .auth import viewer
    from .data import get_store

    v = viewer_ or viewer()
    store = get_store()
    if store.read_only:
        # A read-only database is a published copy or a permissions slip: the figures are still
        # needed, so pages and downloads keep working rather than failing on the audit row. The gap
        # is logged once for IT and every page says so (ui.page.start).
        _not_audited(store.where)
        return
    snapshot_id = None
    if snapshot is True:
        info = store.latest()
        snapshot_id = info.id if info else None
    elif isinstance(snapshot, int) and not isinstance(snapshot, bool):
        snapshot_id = snapshot
    store.append_audit(action, **identity(v), snapshot_id=snapshot_id,
                       detail={k: _plain(val) for k, val in detail.items() if val is not None})


def identity(v) -> dict:
    """Who, as the audit log's columns: subject, e-mail, role, organisation and service."""
    return {"subject": v.subject, "email": v.email, "role": v.role or "", "organisation": v.organisation,
            "service": v.service}


@functools.cache
def _not_audited(where: str) -> None:
    """Log, once per database and process, that the audit log is not being written."""
    log.warning("the database %s is read-only: views, downloads and sign-ins are not written to the audit log",
                where)


def download_button(label: str, data: bytes, file_name: str, *, key: str, kind: str, mime: str | None = None,
                    **detail) -> None:
    """``st.download_button`` whose every click is written to the audit log (kind: csv, pack, template...)."""
    sha = hashlib.sha256(data).hexdigest() if isinstance(data, (bytes, bytearray)) else ""
    st.download_button(label, data, file_name=file_name, mime=mime, key=key, icon=":material/download:",
                       on_click=_audit_download,
                       kwargs={"kind": kind, "file_name": file_name, "sha256": sha, "page": _page(), **detail})


def _audit_download(**detail) -> None:
    """The download button's callback: a failure is logged (without values), never a traceback."""
    try:
        audit("download", **detail)
    except Exception as exc:
        from yj_metrics.errors import log_detail

        log.error("could not audit a download: %s", log_detail(exc))


def csv_download(label: str, df: pd.DataFrame, file_name: str, *, key: str, **detail) -> None:
    """A CSV download of ``df`` (formula-like cells neutralised), audited."""
    download_button(label, csv_bytes(df), file_name, key=key, kind="csv", mime="text/csv", rows=len(df), **detail)


def child_rows_viewed(df: pd.DataFrame, **detail) -> None:
    """Audit a view of child-level rows: once per session for the same rows and parameters."""
    ids = sorted({str(x) for x in df["child_id"].dropna()}) if "child_id" in df.columns else []
    key = hashlib.sha256(repr((sorted(detail.items(), key=str), ids)).encode()).hexdigest()
    seen = st.session_state.setdefault("_yj_child_views", set())
    if key in seen:
        return
    audit("view_child_rows", page=_page(), rows=len(df), child_ids=ids, **detail)
    seen.add(key)


def _page() -> str:
    return st.session_state.get("_yj_page", "")
