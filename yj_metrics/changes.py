"""What changed from one snapshot to another: records added and removed, coverage, headline figures.

Records are matched by their pseudonymous ids (a child, an outcome, an intervention), so a
corrected row keeps its id and counts as neither added nor removed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .contract import DISPOSAL_GROUP_OF_TYPE, SHEETS_BY_NAME
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


# --------------------------------------------------------------------------- the cases behind the counts

@dataclass(frozen=True)
class TypeCount:
    """How many records of one kind (a disposal group, an outcome type)."""

    kind: str
    count: int


@dataclass(frozen=True)
class Correction:
    """Records kept under the same id whose value in one column differs between the snapshots."""

    sheet: str
    column: str
    records: int


@dataclass(frozen=True)
class CaseChanges:
    """What happened to the cases between two snapshots, as a manager checks a month's load.

    ``since`` is the last date the earlier snapshot covers, ``until`` the later one's. Interventions
    (orders and other work) are matched by ``intervention_id``, outcomes by ``outcome_id``:

    - ``closed``: an end date is set now that was blank before, or the intervention is new and ended
      after ``since`` (closed during the month it was first recorded); by disposal group
    - ``opened``: a new intervention id that started after ``since``; by disposal group
    - ``reopened``: an end date that was set before is blank now
    - ``end_moved``: an end date set in both that differs
    - ``new_outcomes``: a new outcome id dated after ``since``; by outcome type
    - ``backdated``: new outcome and intervention ids dated on or before ``since`` (records added late)
    - ``corrected``: per sheet and column, records under the same id whose value changed (end dates
      are reported above, not here)
    """

    since: dt.date | None
    until: dt.date | None
    closed: tuple[TypeCount, ...]
    opened: tuple[TypeCount, ...]
    reopened: int
    end_moved: int
    new_outcomes: tuple[TypeCount, ...]
    backdated: int
    corrected: tuple[Correction, ...]

    @property
    def closed_total(self) -> int:
        return sum(t.count for t in self.closed)

    @property
    def opened_total(self) -> int:
        return sum(t.count for t in self.opened)


def _kind(types: pd.Series) -> pd.Series:
    """An intervention type as the disposal group a manager reads (the type itself when it has none)."""
    return types.map(DISPOSAL_GROUP_OF_TYPE).fillna(types).astype("object")


def _by_kind(kinds: pd.Series) -> tuple[TypeCount, ...]:
    counts = kinds.value_counts(sort=False)
    return tuple(TypeCount(str(k), int(n)) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n)


def _text(s: pd.Series) -> pd.Series:
    """Values as comparable text, missing as one marker (so blank equals blank)."""
    return s.astype("string").fillna("\0")


def corrections(before: Dataset, after: Dataset, skip: dict[str, tuple[str, ...]] | None = None) -> tuple[Correction, ...]:
    """Per sheet with an id column and each contract column: records kept under the same id whose value
    changed (``skip``: columns reported elsewhere), most corrected first."""
    skip = skip or {}
    out = []
    for frame, (sheet, key) in ID_COLUMNS.items():
        a = getattr(before, frame).dropna(subset=[key]).drop_duplicates(key)
        b = getattr(after, frame).dropna(subset=[key]).drop_duplicates(key)
        cols = [c for c in SHEETS_BY_NAME[sheet].column_names
                if c != key and c in a.columns and c in b.columns and c not in skip.get(sheet, ())]
        a = a.set_index(a[key].astype(str))
        b = b.set_index(b[key].astype(str))
        both = a.index.intersection(b.index)
        for col in cols:
            changed = int((_text(a.loc[both, col]) != _text(b.loc[both, col])).sum())
            if changed:
                out.append(Correction(sheet, col, changed))
    return tuple(sorted(out, key=lambda c: (-c.records, c.sheet, c.column)))


def case_changes(before: Dataset, after: Dataset) -> CaseChanges:
    """Orders and other interventions closed, opened, reopened and re-dated; new and late outcomes;
    corrections (see :class:`CaseChanges` for each rule)."""
    since, until = before.covers[1], after.covers[1]
    cut = pd.Timestamp(since) if since is not None else pd.Timestamp.min
    a = before.interventions.dropna(subset=["intervention_id"]).drop_duplicates("intervention_id")
    b = after.interventions.dropna(subset=["intervention_id"]).drop_duplicates("intervention_id")
    a = a.set_index(a["intervention_id"].astype(str))
    b = b.set_index(b["intervention_id"].astype(str))
    kept = b.index.isin(a.index)
    end_before = a["end_date"].reindex(b.index)
    end_now = b["end_date"]
    newly_set = kept & end_before.isna().to_numpy() & end_now.notna().to_numpy()
    new_and_ended = ~kept & (end_now > cut).fillna(False).to_numpy()
    closed = b[newly_set | new_and_ended]
    opened = b[~kept & (b["start_date"] > cut).fillna(False).to_numpy()]
    reopened = int((kept & end_before.notna().to_numpy() & end_now.isna().to_numpy()).sum())
    moved = int((kept & end_before.notna().to_numpy() & end_now.notna().to_numpy()
                 & (end_before != end_now).fillna(False).to_numpy()).sum())
    late_iv = int((~kept & (b["start_date"] <= cut).fillna(False).to_numpy()).sum())
    old_ids = set(before.outcomes["outcome_id"].dropna().astype(str))
    o = after.outcomes[~after.outcomes["outcome_id"].astype(str).isin(old_ids) & after.outcomes["outcome_id"].notna()]
    new_outcomes = o[(o["outcome_date"] > cut).fillna(False)]
    late_outcomes = int((o["outcome_date"] <= cut).fillna(False).sum())
    return CaseChanges(
        since=since, until=until, closed=_by_kind(_kind(closed["intervention_type"])),
        opened=_by_kind(_kind(opened["intervention_type"])), reopened=reopened, end_moved=moved,
        new_outcomes=_by_kind(new_outcomes["outcome_type"].astype("object")), backdated=late_iv + late_outcomes,
        corrected=corrections(before, after, skip={"Interventions": ("end_date",)}))
