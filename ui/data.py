"""Cached access to the store and the calculations, keyed on snapshot id, period and filters."""
from __future__ import annotations

import streamlit as st

from yj_metrics import disproportionality as dp
from yj_metrics import indicators
from yj_metrics.dataset import Dataset
from yj_metrics.filters import Filters, apply_filters
from yj_metrics.periods import Period
from yj_metrics.settings import Settings
from yj_metrics.store import Store, default_url
from yj_metrics.disclosure import PartnerProtection

from .auth import suppressed_view


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
    computed once, over every view a partner can open)."""
    return PartnerProtection(_dataset(url, snapshot_id), Settings.from_json(settings_json))


def protection() -> PartnerProtection:
    return _protection(default_url(), live_snapshot_id(), settings().to_json())


def _guard(partner: bool, filters: Filters) -> Filters:
    """Partners never see a filtered view (see docs/DISCLOSURE.md): the whole service only."""
    return Filters() if partner else filters


@st.cache_data(show_spinner=False, ttl=60)
def _settings_json(url: str) -> str:
    return _store(url).get_settings().to_json()


def settings() -> Settings:
    return Settings.from_json(_settings_json(default_url()))


def clear_caches() -> None:
    """After an upload or a settings change: every cached figure is recomputed."""
    st.cache_data.clear()
    _dataset.clear()
    _filtered.clear()


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


@st.cache_data(show_spinner=False, max_entries=256)
def _scorecard_trend(url, snapshot_id, indicator, quarter, filters, settings_json, partner, n):
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    s = Settings.from_json(settings_json)
    res = indicators.scorecard_trend(ds, indicator, quarter, n, s)
    return _protection(url, snapshot_id, settings_json).protect_results(res) if partner else res


def scorecard_trend(indicator: str, quarter: Period, filters: Filters, n: int = 5):
    return _scorecard_trend(default_url(), live_snapshot_id(), indicator, quarter, filters, settings().to_json(),
                            suppressed_view(), n)


@st.cache_data(show_spinner=False, max_entries=512)
def _compute(url, snapshot_id, period: Period, filters: Filters, ids: tuple | None, by, settings_json, partner):
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    s = Settings.from_json(settings_json)
    res = indicators.compute(ds, period, list(ids) if ids else None, by, s)
    return _protection(url, snapshot_id, settings_json).protect_results(res) if partner else res


def compute(period: Period, filters: Filters, ids=None, by=None):
    """Indicator results (suppressed for partners)."""
    return _compute(default_url(), live_snapshot_id(), period, filters, tuple(ids) if ids else None, by,
                    settings().to_json(), suppressed_view())


@st.cache_data(show_spinner=False, max_entries=256)
def _trend(url, snapshot_id, indicator, periods: tuple, filters, settings_json, partner):
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    s = Settings.from_json(settings_json)
    res = indicators.trend(ds, indicator, list(periods), s)
    return _protection(url, snapshot_id, settings_json).protect_results(res) if partner else res


def trend(indicator: str, periods: list[Period], filters: Filters):
    return _trend(default_url(), live_snapshot_id(), indicator, tuple(periods), filters, settings().to_json(),
                  suppressed_view())


@st.cache_data(show_spinner=False, max_entries=128)
def _stage_table(url, snapshot_id, period, filters, by, reference, chain, pool_years, base, partner, settings_json):
    ds = _filtered(url, snapshot_id, _guard(partner, filters))
    res = dp.stage_table(ds, period, by, reference, chain, pool_years, base)
    return _protection(url, snapshot_id, settings_json).protect_disproportionality(res) if partner else res


def stage_table(period, filters, by="ethnicity", reference=None, chain=dp.DEFAULT_CHAIN, pool_years=1,
                base="previous"):
    return _stage_table(default_url(), live_snapshot_id(), period, filters, by, reference, tuple(chain), pool_years,
                        base, suppressed_view(), settings().to_json())


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
        if name == "composition":
            return prot.composition(period, extra)
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
