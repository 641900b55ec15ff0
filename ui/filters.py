"""Sidebar filters shared by every page, kept in the session and in the URL.

The URL carries the period and the filters (``?period=quarter&q=2023-24Q4&loc=North``) so a
link pasted into an email opens the same view.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from yj_metrics import contract as c
from yj_metrics.disclosure import partner_periods
from yj_metrics.filters import DIMENSIONS, Filters
from yj_metrics.periods import (Period, bounded_custom, financial_year, fy_start_year, latest_complete_quarter,
                                parse_quarter, quarter_of, reporting_quarter, rolling_year)

from .fmt import md_escape

PERIOD_KINDS = {"quarter": "Quarter", "fy": "Financial year", "rolling": "Rolling 12 months", "custom": "Custom"}
URL_KEYS = {"locality": "loc", "ethnicity": "eth", "gender": "gen", "age_band": "age", "disposal": "disp"}
_STATE = "flt_"


def _options(ds) -> dict[str, list[str]]:
    return {
        "locality": sorted(ds.children["locality"].dropna().unique().tolist()),
        "ethnicity": list(c.ETHNIC_GROUPS),
        "gender": list(c.GENDERS),
        "age_band": list(c.AGE_BANDS),
        "disposal": [g for g in c.DISPOSAL_GROUPS if g != "Prevention"],
    }


def _quarters(ds) -> list[Period]:
    start, end = ds.covers
    if end is None:
        today = dt.date.today()
        return [latest_complete_quarter(today)]
    last = reporting_quarter(end)
    out, q = [], last
    while q.end >= start and len(out) < 40:
        out.append(q)
        q = q.previous()
    return out or [quarter_of(end)]


def _init_from_url(quarters: list[Period]) -> None:
    """On a new session, take the filters from the URL (a pasted link)."""
    if st.session_state.get(_STATE + "ready"):
        return
    qp = st.query_params
    st.session_state[_STATE + "period"] = qp.get("period", "quarter") if qp.get("period") in PERIOD_KINDS else "quarter"
    q = qp.get("q")
    try:
        chosen = parse_quarter(q) if q else quarters[0]
    except ValueError:
        chosen = quarters[0]
    st.session_state[_STATE + "q"] = chosen.label if chosen in quarters else quarters[0].label
    for dim, key in URL_KEYS.items():
        raw = qp.get(key, "")
        st.session_state[_STATE + dim] = [v for v in raw.split(",") if v] if raw else []
    for k in ("start", "end"):
        try:
            st.session_state[_STATE + k] = dt.date.fromisoformat(qp.get(k, ""))
        except ValueError:
            pass
    st.session_state[_STATE + "ready"] = True


def narrow(dimension: str, group: str) -> None:
    """Drill down: keep only ``group`` of ``dimension`` everywhere, then rerun."""
    if dimension in URL_KEYS:
        st.session_state[_STATE + dimension] = [group]
        st.session_state.pop("w_" + dimension, None)
        st.session_state["_pending_widgets"] = True
        st.rerun()


def clear_filter(dimension: str) -> None:
    st.session_state[_STATE + dimension] = []
    st.session_state.pop("w_" + dimension, None)


PARTNER_PERIOD_KINDS = ("quarter", "fy", "rolling")
#: partners read one rolling year: the 12 months to the latest quarter (docs/DISCLOSURE.md)
PARTNER_KIND_LABELS = {**PERIOD_KINDS, "rolling": "Last 12 months"}
PARTNER_NOTE = ("Partners see the whole service, by quarter, financial year or the last 12 months, and compare "
                "groups one dimension at a time (the breakdowns on each page, by financial year or over the last "
                "12 months). Combining filters or "
                "choosing your own dates is for the service's own staff: combined views would let small "
                "numbers about children be worked out by subtracting one view from another.")


def sidebar_filters(ds, partner: bool = False) -> tuple[Period, Filters]:
    """Draw the shared sidebar filters; return the chosen period and filters.

    Partners choose a quarter or a financial year only, and no filters (see docs/DISCLOSURE.md)."""
    quarters = _quarters(ds)
    _init_from_url(quarters)
    labels = [q.label for q in quarters]
    opts = _options(ds)
    kinds = list(PARTNER_PERIOD_KINDS) if partner else list(PERIOD_KINDS)
    if partner and st.session_state[_STATE + "period"] not in kinds:
        st.session_state[_STATE + "period"] = "quarter"
        st.session_state.pop("w_period", None)
    with st.sidebar:
        st.markdown("### Period" if partner else "### Period and filters")
        kind = st.selectbox("Period", kinds, format_func=(PARTNER_KIND_LABELS if partner else PERIOD_KINDS).get,
                            index=kinds.index(st.session_state[_STATE + "period"]), key="w_period")
        st.session_state[_STATE + "period"] = kind
        qlabel = st.session_state[_STATE + "q"]
        last_12 = partner and kind == "rolling"  # the last 12 months only: to the end of the latest quarter
        qlabel = st.selectbox("Quarter" if kind == "quarter" else "Ending with quarter", labels[:1] if last_12 else labels,
                              index=0 if last_12 else labels.index(qlabel) if qlabel in labels else 0,
                              key="w_q_last_12" if last_12 else "w_q")
        if not last_12:
            st.session_state[_STATE + "q"] = qlabel
        q = quarters[labels.index(qlabel)]
        if kind == "quarter":
            period = q
        elif kind == "fy":
            period = financial_year(fy_start_year(q.end))
            if partner:  # this year so far: partners never see the weeks after the reporting quarter
                period = partner_periods(ds.covers, 1).clip(period)
        elif kind == "rolling":
            period = rolling_year(q.end)
        else:
            period = _custom_period(ds, q)
        chosen = {}
        if partner:
            asked = [DIMENSIONS[d] for d in DIMENSIONS if st.session_state.get(_STATE + d)]
            if kind == "fy" and period.end < financial_year(fy_start_year(q.end)).end:
                st.caption(f"{financial_year(fy_start_year(q.end)).label} so far: to the end of {quarters[0].label}, "
                           "the latest complete quarter.")
            st.caption(PARTNER_NOTE)
            if asked:
                st.info("This link asks for a filtered view (" + ", ".join(asked) + "), which partners cannot "
                        "open: showing the whole service.", icon=":material/info:")
            for d in DIMENSIONS:
                st.session_state[_STATE + d] = []
            filters = Filters()
            _write_url(kind, q, period, filters)
            return period, filters
        for dim, label in DIMENSIONS.items():
            current = [v for v in st.session_state.get(_STATE + dim, []) if v in opts[dim]]
            if "w_" + dim not in st.session_state:
                st.session_state["w_" + dim] = current
            chosen[dim] = st.multiselect(label, opts[dim], key="w_" + dim, placeholder="All")
            st.session_state[_STATE + dim] = chosen[dim]
    filters = Filters(**{d: tuple(v) for d, v in chosen.items()})
    _write_url(kind, q, period, filters)
    return period, filters


def _coverage(ds, q: Period) -> tuple[dt.date, dt.date]:
    """The first and last date in the data (the chosen quarter when the data has no dates)."""
    first, last = ds.covers
    return (first or q.start, last or q.end)


def _custom_period(ds, q: Period) -> Period:
    """The custom dates from the session or a pasted link, kept inside the data's coverage (so a link
    asking for 1678 to 2262 costs no more than the whole data) and in order; each change is said."""
    first, last = _coverage(ds, q)
    asked_start = st.session_state.get(_STATE + "start", q.start)
    asked_end = st.session_state.get(_STATE + "end", q.end)
    period, notes = bounded_custom(asked_start, asked_end, (first, last))
    widget = st.session_state.get("w_custom")
    if isinstance(widget, (list, tuple)) and (len(widget) != 2 or not all(first <= d <= last for d in widget)):
        st.session_state.pop("w_custom")
    picked = st.date_input("From - to", value=(period.start, period.end), min_value=first, max_value=last,
                           format="DD/MM/YYYY", key="w_custom")
    if isinstance(picked, (list, tuple)) and len(picked) == 2 and tuple(picked) != (period.start, period.end):
        period, notes = bounded_custom(picked[0], picked[1], (first, last))
    for note in notes:
        st.info(note, icon=":material/info:")
    st.session_state[_STATE + "start"], st.session_state[_STATE + "end"] = period.start, period.end
    return period


def _write_url(kind: str, q: Period, period: Period, filters: Filters) -> None:
    params = {"period": kind, "q": q.label.replace(" ", "")}
    if kind == "custom":
        params["start"], params["end"] = period.start.isoformat(), period.end.isoformat()
    for dim, key in URL_KEYS.items():
        vals = getattr(filters, dim)
        if vals:
            params[key] = ",".join(vals)
    keep = {k: v for k, v in st.query_params.to_dict().items() if k not in params and k not in
            (*URL_KEYS.values(), "period", "q", "start", "end")}
    new = {**keep, **params}
    if st.query_params.to_dict() != new:
        st.query_params.from_dict(new)


def breadcrumb(period: Period, filters: Filters) -> None:
    """The active period and filters, each filter with a button that clears it."""
    cols = st.columns([3] + [1] * max(1, len(filters.active)))
    cols[0].markdown(f"**{period.label}** · {md_escape(filters.describe())}")
    for i, (dim, vals) in enumerate(filters.active.items(), start=1):
        if cols[i].button(f"✕ {DIMENSIONS[dim]}: {md_escape(', '.join(vals))}", key=f"clear_{dim}",
                          help=f"Clear the {DIMENSIONS[dim].lower()} filter"):
            clear_filter(dim)
            st.rerun()
