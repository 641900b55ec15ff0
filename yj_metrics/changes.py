"""What changed from one snapshot to another: records added and removed, coverage, headline figures.

Records are matched by their pseudonymous ids (a child, an outcome, an intervention), so a
corrected row keeps its id and counts as neither added nor removed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .dataset import Dataset
from .periods import reporting_quarter

#: frame -> (the sheet's name, its id column)
ID_COLUMNS = {"children": ("Children", "child_id"), "outcomes": ("Outcomes", "outcome_id"),
              "interventions": ("Interventions", "intervention_id")}
#: counts a manager checks first after a load, each for the latest quarter of the snapshot
HEADLINE = ("fte_count", "custody_count", "caseload_open")


@dataclass(frozen=True)
class IdChange:
    """One sheet's records, matched by id."""

    sheet: str
    before: int
    after: int
    added: int
    removed: int


@dataclass(frozen=True)
class Headline:
    """A headline figure of one snapshot, for the latest quarter it covers."""

    indicator: str
    label: str
    period: str
    value: float | None


@dataclass(frozen=True)
class SnapshotChanges:
    """From ``before`` to ``after``: records by id, the dates covered, and the headline figures of each."""

    ids: tuple[IdChange, ...]
    covers_before: tuple[dt.date | None, dt.date | None]
    covers_after: tuple[dt.date | None, dt.date | None]
    headline_before: tuple[Headline, ...]
    headline_after: tuple[Headline, ...]


def _ids(ds: Dataset, frame: str) -> set[str]:
    column = ID_COLUMNS[frame][1]
    return {str(v) for v in getattr(ds, frame)[column].dropna()}


def id_changes(before: Dataset, after: Dataset) -> tuple[IdChange, ...]:
    """Children, outcomes and interventions added and removed, by id."""
    out = []
    for frame, (sheet, _) in ID_COLUMNS.items():
        old, new = _ids(before, frame), _ids(after, frame)
        out.append(IdChange(sheet, len(old), len(new), len(new - old), len(old - new)))
    return tuple(out)


def headline(ds: Dataset) -> tuple[Headline, ...]:
    """The :data:`HEADLINE` counts for the quarter a board would read from this snapshot."""
    from .indicators import INDICATORS, compute, reporting_period

    if ds.covers[1] is None:
        return ()
    quarter = reporting_quarter(ds.covers[1])
    out = []
    for ind in HEADLINE:
        period = reporting_period(ind, quarter)
        r = next((r for r in compute(ds, period, [ind]) if r.indicator == ind and r.by is None), None)
        out.append(Headline(ind, INDICATORS[ind].label, period.label, None if r is None else r.value))
    return tuple(out)


def changes(before: Dataset, after: Dataset) -> SnapshotChanges:
    """Everything the Snapshots page shows about the change from ``before`` to ``after``."""
    return SnapshotChanges(id_changes(before, after), before.covers, after.covers, headline(before), headline(after))
