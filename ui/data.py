"""Cached access to the store and the calculations, keyed on snapshot id, period and filters."""
from __future__ import annotations

import collections
import logging
import os
import threading
from dataclasses import replace

import streamlit as st

from yj_metrics import disproportionality as dp
from yj_metrics import indicators
from yj_metrics.dataset import Dataset
from yj_metrics.filters import Filters, apply_filters
from yj_metrics.periods import Period
from yj_metrics.settings import Settings
from yj_metrics.store import Store, default_url
from yj_metrics.disclosure import PartnerProtection, local_results

from .auth import partners_may_come, suppressed_view

log = logging.getLogger("yj_dashboard")


@st.cache_resource(show_spinner="Opening the database...")
def _store(url: str) -> Store:
    store = Store(url)
    store.ensure_demo()  # first start with an empty database: the synthetic demo service
    return store


def get_store() -> Store:
    """The app's store (``YJ_DATABASE_URL`` or the SQLite file), with demo data when empty."""
    return _store(default_url())


def live_snapshot_id() -> int:
    info = get_store().latest()
    if info is None:  # pragma: no cover - ensure_demo always leaves one
        info = get_store().ensure_demo()
    mode = os.environ.get("YJ_WARM_UP", "all")
    if mode != "0" and (default_url(), info.id) not in _WARMED:  # once per snapshot: no secrets read per run
        warm_up(default_url(), info.id, partners=mode != "board" and partners_may_come())
    return info.id


@st.cache_resource(show_spinner="Loading the data...", max_entries=4)
def _dataset(url: str, snapshot_id: int) -> Dataset:
    return _store(url).dataset(snapshot_id)


@st.cache_resource(max_entries=64)
def _filtered(url: str, snapshot_id: int, filters: Filters) -> Dataset:
    return apply_filters(_dataset(url, snapshot_id), filters)


def live_dataset(filters: Filters | None = None) -> Dataset:
    """The live snapshot, narrowed by the filters (shared, read-only)."""
    return _filtered(default_url(), live_snapshot_id(), filters or Filters())


@st.cache_resource(show_spinner="Preparing the protected partner view...", max_entries=4)
def _protection(url: str, snapshot_id: int, settings_json: str) -> PartnerProtection:
    """One protection per snapshot and settings, shared by every partner session (its masks are
    computed once, over every view a partner can open). It is kept in the store when computed, so a
    restarted server reads it there instead of computing it again."""
    return PartnerProtection.for_snapshot(_dataset(url, snapshot_id), Settings.from_json(settings_json),
                                          _store(url), snapshot_id)


def protection() -> PartnerProtection:
    return _protection(default_url(), live_snapshot_id(), settings().to_json())


def await_partner_view(poll_seconds: float = 0.5) -> None:
    """Before a partner's page draws anything: when the protection of the live snapshot is still being
    computed (it starts when the snapshot goes live, see :func:`warm_up`), show how far it has got and wait,
    instead of a blank page. Starts the computation itself when nothing else has."""
    import time

    prot = protection()
    if prot.ready():
        return
    prot.prepare_in_background()
    box = st.empty()
    while not prot.ready() and prot.progress.error is None:
        p = prot.progress
        box.progress(p.fraction, text=f"Preparing the protected partner view: {p.doing.lower()} "
                     f"({p.fraction:.0%}). This happens once after new data are loaded.")
        time.sleep(poll_seconds)
    box.empty()
    if not prot.ready():  # the background computation failed: compute here, so the page reports it
        prot.prepare()


def _guard(partner: bool, filters: Filters) -> Filters:
    """Partners never see a filtered view (see docs/DISCLOSURE.md): the whole service only."""
    return Filters() if partner else filters


@st.cache_data(show_spinner=False, ttl=60)
def _settings_json(url: str) -> str:
    return _store(url).get_settings().to_json()


def settings() -> Settings:
    return Settings.from_json(_settings_json(default_url()))


def clear_caches() -> None:
    """After an upload or a settings change: every cached figure is recomputed (and the default view of the
    live snapshot is warmed again at once, in the background)."""
    st.cache_data.clear()
    _dataset.clear()
    _filtered.clear()
    with _WARM_LOCK:
        _WARMED.clear()
    try:
        live_snapshot_id()
    except Exception as exc:  # the caller reports storage failures itself
        log.warning("cannot warm the figures after clearing the caches: %s", type(exc).__name__)


# --------------------------------------------------------------------------- warm-up

_WARM_LOCK = threading.Lock()
_WARMED: dict[tuple[str, int], threading.Thread] = {}


def default_quarters(ds: Dataset):
    """The quarters the overview shows when a session opens with no choice: the reporting quarter of the
    data's end and the four before it, oldest first (as ``pages/overview.py`` reads them)."""
    from yj_metrics.periods import last_quarters, quarter_of

    from .filters import _quarters

    return tuple(last_quarters(quarter_of(_quarters(ds)[0].end), 5))


def warm_default_view(url: str, snapshot_id: int, partners: bool = True) -> None:
    """Compute the figures every session opens with, through the shared caches: the whole-service scorecards
    of the overview's five quarters for the board and manager first, then (``partners``) the partner
    protection and the scorecards as partners see them. Concurrent sessions asking for them meanwhile wait
    for this one computation."""
    settings_json = _settings_json(url)
    quarters = default_quarters(_dataset(url, snapshot_id))
    _scorecards(url, snapshot_id, quarters, Filters(), settings_json, False)
    if partners:
        _protection(url, snapshot_id, settings_json).prepare()
        _scorecards(url, snapshot_id, quarters, Filters(), settings_json, True)
    warm_details(url, snapshot_id, quarters[-1], settings_json, False)
    if partners:
        warm_details(url, snapshot_id, quarters[-1], settings_json, True)


def warm_details(url: str, snapshot_id: int, quarter: Period, settings_json: str, partner: bool) -> None:
    """What KPI detail computes when an indicator is opened from the scorecard of ``quarter`` (as
    ``pages/kpi_detail.py`` asks for it, so the same cache entries): the figure, the last 8 quarters and the
    first breakdown, for every headline indicator (a partner's breakdown is by financial year)."""
    from yj_metrics.counting import BREAKDOWN_LABELS
    from yj_metrics.disclosure import NOT_FOR_PARTNERS
    from yj_metrics.indicators import HEADLINE, reporting_period, supported_breakdowns
    from yj_metrics.periods import last_quarters

    for ind in HEADLINE:
        if partner and ind in NOT_FOR_PARTNERS:
            continue
        read = reporting_period(ind, quarter)
        _compute(url, snapshot_id, read, Filters(), (ind,), None, settings_json, partner, None)
        periods = tuple(reporting_period(ind, q) for q in last_quarters(quarter, 8))
        _trend(url, snapshot_id, ind, periods, Filters(), settings_json, partner)
        dims = [b for b in supported_breakdowns(ind) if b in BREAKDOWN_LABELS]
        if dims:
            by_period = _protection(url, snapshot_id, settings_json).periods.breakdown_for(read) if partner else read
            _compute(url, snapshot_id, by_period, Filters(), (ind,), dims[0], settings_json, partner, None)


def _warm(url: str, snapshot_id: int, partners: bool) -> None:
    try:
        warm_default_view(url, snapshot_id, partners)
    except Exception as exc:  # a failed warm-up costs nothing: the first visitor computes as before
        log.warning("warming the default view failed: %s", type(exc).__name__)


def warm_up(url: str, snapshot_id: int, partners: bool = True) -> threading.Thread | None:
    """Start warming the default view in a background thread, once per database and live snapshot (again
    after :func:`clear_caches`). Returns the thread when this call started it.

    :func:`live_snapshot_id` calls it, so the first sight of a snapshot starts it; ``YJ_WARM_UP=0`` turns
    that off (the tests do), ``YJ_WARM_UP=board`` warms the board's view only. The partners' view (the
    protection, long to compute) is warmed only where a partner can come (:func:`auth.partners_may_come`):
    on a board's local server it would only take the CPU from the meeting's sessions."""
    key = (url, snapshot_id)
    with _WARM_LOCK:
        if key in _WARMED:
            return None
        thread = threading.Thread(target=_warm, args=(url, snapshot_id, partners), name=f"yj-warm-{snapshot_id}",
                                  daemon=True)
        _WARMED[key] = thread
    thread.start()
    return thread


def demo_banner() -> None:
    """A clear notice on every page while the live data are the synthetic demo."""
    info = get_store().latest()
    if info is not None and info.is_demo:
        st.warning("**Demo data.** These figures come from a synthetic service, not real children. "
                   "A manager can upload the service's workbook on the Upload page.", icon=":material/science:")


# --------------------------------------------------------------------------- cached figures

@st.cache_data(show_spinner=False, max_entries=256)
def _scorecard(url, snapshot_id, quarter: Period, filters: Filters, settings_json: str, partner: bool):
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    s = Settings.from_json(settings_json)
    res = indicators.scorecard(ds, quarter, s)
    return _protection(url, snapshot_id, settings_json).protect_results(res) if partner else res


def scorecard(quarter: Period, filters: Filters):
    return _scorecard(default_url(), live_snapshot_id(), quarter, filters, settings().to_json(), suppressed_view())


@st.cache_data(show_spinner=False, max_entries=64)
def _scorecards(url, snapshot_id, quarters: tuple, filters: Filters, settings_json: str, partner: bool):
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    s = Settings.from_json(settings_json)
    cards = indicators.scorecards(ds, quarters, s)
    if partner:
        prot = _protection(url, snapshot_id, settings_json)
        cards = {q: prot.protect_results(res) for q, res in cards.items()}
    return cards


def scorecards(quarters, filters: Filters) -> dict:
    """``{quarter: scorecard}`` for several quarters, computed in one pass and cached as one figure (the
    overview's five quarters; the default view is warmed in the background, see :func:`warm_up`)."""
    return _scorecards(default_url(), live_snapshot_id(), tuple(quarters), filters, settings().to_json(),
                       suppressed_view())


@st.cache_data(show_spinner=False, max_entries=256)
def _scorecard_trend(url, snapshot_id, indicator, quarter, filters, settings_json, partner, n):
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    s = Settings.from_json(settings_json)
    res = indicators.scorecard_trend(ds, indicator, quarter, n, s)
    return _protection(url, snapshot_id, settings_json).protect_results(res) if partner else res


def scorecard_trend(indicator: str, quarter: Period, filters: Filters, n: int = 5):
    return _scorecard_trend(default_url(), live_snapshot_id(), indicator, quarter, filters, settings().to_json(),
                            suppressed_view(), n)


#: how many times each cached figure was computed (not read from the cache): for tests and benchmarks
COMPUTED: collections.Counter = collections.Counter()


@st.cache_data(show_spinner=False, max_entries=512)
def _compute(url, snapshot_id, period: Period, filters: Filters, ids: tuple | None, by, settings_json, partner,
             locality=None):
    COMPUTED["compute"] += 1
    local = bool(partner and locality and by)  # a partner's drill-down: one locality's children, then ``by``
    ds = _filtered(url, snapshot_id, Filters(locality=(locality,)) if local else _guard(partner, filters))
    s = Settings.from_json(settings_json)
    if partner:  # never past the reporting quarter (PartnerPeriods.clip)
        period = _protection(url, snapshot_id, settings_json).periods.clip(period)
    res = indicators.compute(ds, period, list(ids) if ids else None, by, s)
    if not partner:
        return res
    prot = _protection(url, snapshot_id, settings_json)
    if local:  # looked up in the one protection under the grid's key (``by`` = ``dim@locality``)
        return [replace(r, by=by) for r in prot.protect_results(local_results(res, by, locality))]
    return prot.protect_results(res)


def compute(period: Period, filters: Filters, ids=None, by=None, locality: str | None = None):
    """Indicator results (suppressed for partners). ``locality``: a partner's drill-down (one locality's
    children broken down ``by`` one more dimension; managers filter by locality in the sidebar instead)."""
    partner = suppressed_view()
    return _compute(default_url(), live_snapshot_id(), period, filters, tuple(ids) if ids else None, by,
                    settings().to_json(), partner, locality if partner and by else None)


@st.cache_data(show_spinner=False, max_entries=256)
def _trend(url, snapshot_id, indicator, periods: tuple, filters, settings_json, partner):
    COMPUTED["trend"] += 1
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    s = Settings.from_json(settings_json)
    if partner:
        periods = [_protection(url, snapshot_id, settings_json).periods.clip(p) for p in periods]
    res = indicators.trend(ds, indicator, list(periods), s)
    return _protection(url, snapshot_id, settings_json).protect_results(res) if partner else res


def trend(indicator: str, periods: list[Period], filters: Filters):
    return _trend(default_url(), live_snapshot_id(), indicator, tuple(periods), filters, settings().to_json(),
                  suppressed_view())


@st.cache_data(show_spinner=False, max_entries=128)
def _stage_table(url, snapshot_id, period, filters, by, reference, chain, pool_years, base, partner, settings_json,
                 locality=None):
    flt = (Filters(locality=(locality,)) if locality else Filters()) if partner else filters
    ds = _filtered(url, snapshot_id, flt)
    if partner:
        period = _protection(url, snapshot_id, settings_json).periods.clip(period)
    res = dp.stage_table(ds, period, by, reference, chain, pool_years, base)
    if partner:
        return _protection(url, snapshot_id, settings_json).protect_disproportionality(res, locality or None)
    return res


def stage_table(period, filters, by="ethnicity", reference=None, chain=dp.DEFAULT_CHAIN, pool_years=1,
                base="previous", locality: str | None = None):
    """Disproportionality results; ``locality`` is a partner's drill-down (a locality, then ``by``), looked
    up in the same protection as the whole service (managers filter by locality in the sidebar instead)."""
    return _stage_table(default_url(), live_snapshot_id(), period, filters, by, reference, tuple(chain), pool_years,
                        base, suppressed_view(), settings().to_json(), locality if suppressed_view() else None)


@st.cache_data(show_spinner=False, max_entries=128)
def _table(url, snapshot_id, name, period, filters, extra, settings_json, partner=False):
    if partner:  # protected tables: the marker where a count is hidden
        prot = _protection(url, snapshot_id, settings_json)
        if name == "disposals":
            return prot.disposal_table(period)
        if name == "ete_status":
            return prot.ete_status_table(period)
        if name == "remands":
            return prot.remand_table(period)
        if name == "composition":  # extra: the dimension, or (the dimension, a locality)
            return prot.composition(period, *(extra if isinstance(extra, tuple) else (extra,)))
        raise PermissionError(f"The '{name}' table is not available to partners.")
    ds = _filtered(url, snapshot_id, filters)
    if name == "disposals":
        return indicators.disposal_table(ds, period)
    if name == "caseload":
        return indicators.caseload_table(ds, period.end, extra)
    if name == "ete_status":
        return indicators.ete_status_table(ds, period)
    if name == "remands":
        return indicators.remand_table(ds, period, Settings.from_json(settings_json))
    if name == "reoffending_cohort":
        return indicators.reoffending_cohort(ds, period)
    if name == "composition":
        return dp.composition(ds, period, "caseload", extra)
    raise KeyError(name)


def table(name: str, period: Period, filters: Filters, extra=None):
    """A local table (disposals, caseload, ETE status, remands, composition) as a DataFrame."""
    return _table(default_url(), live_snapshot_id(), name, period, filters, extra, settings().to_json(),
                  suppressed_view())


def children_behind(period, filters, indicator, by=None, group=None):
    """Child-level rows: managers only (callers check :func:`ui.auth.can_see_children`)."""
    if suppressed_view():
        raise PermissionError("Child-level rows are not available to partners.")
    return indicators.children_behind(live_dataset(filters), period, indicator, by, group)


# --------------------------------------------------------------------------- the manager's notes, snapshots

@st.cache_data(show_spinner=False, ttl=60)
def _board_notes(url: str, quarter: str):
    return _store(url).board_notes(quarter)


def board_notes(quarter: str):
    """The commentary and actions for a quarter (label such as ``2023-24 Q4``), as a ``BoardNotes``."""
    return _board_notes(default_url(), quarter)


def clear_board_notes() -> None:
    """After commentary or an action is saved: every session reads the notes again."""
    _board_notes.clear()


@st.cache_data(show_spinner="Comparing the snapshots...", max_entries=16)
def _snapshot_changes(url: str, before_id: int, after_id: int):
    from yj_metrics.changes import changes

    store = _store(url)
    return changes(store.dataset(before_id), store.dataset(after_id))


def snapshot_changes(before_id: int, after_id: int):
    """What changed from one snapshot to another (``yj_metrics.changes.SnapshotChanges``)."""
    return _snapshot_changes(default_url(), before_id, after_id)
