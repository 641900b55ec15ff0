"""The in-memory case-level data every calculation reads.

A :class:`Dataset` holds one typed pandas frame per workbook sheet, with the
canonical column names of :mod:`yj_metrics.contract` plus derived columns:

- ``children.ethnicity`` (detailed canonical value) and ``children.ethnicity_group``
  (White | Mixed | Asian | Black | Other | Not known);
- ``outcomes.tier`` and ``interventions.tier`` (Diversion | Pre-court | First-tier |
  Community | Custody; ``Prevention`` for Prevention, Turnaround and Bail supervision);
- ``population.age_band`` (derived from ``age`` where given).

Types: ids and vocabularies are ``str`` (missing = ``None``); dates are
``datetime64[ns]`` at midnight (missing = ``NaT``); Y/N columns are pandas
nullable ``boolean`` (missing = ``<NA>``); numbers are ``float64``; integers
are nullable ``Int64``. Both the validator and the store produce exactly this.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace

import pandas as pd

from . import contract as c

FRAME_OF_SHEET = {
    "Children": "children",
    "Outcomes": "outcomes",
    "Interventions": "interventions",
    "Victims": "victims",
    "Remands": "remands",
    "Board_attendance": "board_attendance",
    "Population": "population",
    "Benchmarks": "benchmarks",
}

EXTRA_COLUMNS = {
    "children": {"ethnicity_group": "str"},
    "outcomes": {"tier": "str"},
    "interventions": {"tier": "str"},
}

_DTYPE_OF_KIND = {
    "id": "object", "text": "object", "vocab": "object", "date": "datetime64[ns]",
    "yn": "boolean", "int": "Int64", "number": "float64",
}


def _spec_of(frame: str) -> "c.SheetSpec":
    sheet = next(s for s, f in FRAME_OF_SHEET.items() if f == frame)
    return c.SHEETS_BY_NAME[sheet]


def frame_columns(frame: str) -> dict[str, str]:
    """Canonical column -> pandas dtype for one frame (derived columns included)."""
    spec = _spec_of(frame)
    cols = {col.name: _DTYPE_OF_KIND[col.kind] for col in spec.columns}
    for name in EXTRA_COLUMNS.get(frame, {}):
        cols[name] = "object"
    return cols


def empty_frame(frame: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    return pd.DataFrame({k: pd.Series(dtype=v) for k, v in frame_columns(frame).items()})


def coerce_frame(frame: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns (missing ones blank) and dtypes.

    Y/N columns with a contract default (``resident`` Y, ``prior_substantive_outcome`` N,
    ``overturned_on_appeal`` N) take it where blank.
    """
    defaults = {col.name: col.default for col in _spec_of(frame).columns
                if col.kind == "yn" and col.default is not None}
    out = {}
    n = len(df)
    for col, dtype in frame_columns(frame).items():
        s = df[col] if col in df.columns else pd.Series([None] * n, index=df.index)
        if dtype == "datetime64[ns]":
            s = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]").dt.normalize()
        elif dtype == "boolean":
            s = s.astype("boolean")
            if col in defaults:
                s = s.fillna(defaults[col])
        elif dtype == "Int64":
            s = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif dtype == "float64":
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            s = s.astype("object").where(s.notna(), None)
        out[col] = s
    return pd.DataFrame(out).reset_index(drop=True)


def intervention_tier(intervention_type: str | None) -> str | None:
    """Tier of an intervention type; Prevention/Turnaround/Bail supervision -> Prevention."""
    if intervention_type in c.OUTCOME_TIERS:
        return c.OUTCOME_TIERS[intervention_type]
    if intervention_type in c.INTERVENTION_ONLY_TYPES:
        return "Prevention"
    return None


_MEMO_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Dataset:
    """One snapshot's case-level data. Frames are treated as read-only."""

    children: pd.DataFrame = field(default_factory=lambda: empty_frame("children"))
    outcomes: pd.DataFrame = field(default_factory=lambda: empty_frame("outcomes"))
    interventions: pd.DataFrame = field(default_factory=lambda: empty_frame("interventions"))
    victims: pd.DataFrame = field(default_factory=lambda: empty_frame("victims"))
    remands: pd.DataFrame = field(default_factory=lambda: empty_frame("remands"))
    board_attendance: pd.DataFrame = field(default_factory=lambda: empty_frame("board_attendance"))
    population: pd.DataFrame = field(default_factory=lambda: empty_frame("population"))
    benchmarks: pd.DataFrame = field(default_factory=lambda: empty_frame("benchmarks"))
    snapshot_id: int | None = None
    file_name: str | None = None
    is_demo: bool = False
    service_name: str = "Youth Justice Service"
    #: Per-object memo of derived frames (never compared, copied or shown).
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    #: One lock per memo key, so that threads (sessions) asking for the same derived frame at once wait
    #: for one computation instead of each computing it.
    _memo_locks: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    #: ``(dataset, children kept)`` when this dataset is another narrowed by a filter (:meth:`narrowed`);
    #: the children are None when the filter also dropped rows of the children it kept.
    _narrowed_from: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def memo(self, key, make):
        """``make()`` computed once per dataset object and key (frames are read-only), also when several
        threads ask for it at once (the others wait for the first)."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        with _MEMO_LOCKS_GUARD:
            lock = self._memo_locks.setdefault(key, threading.RLock())
        with lock:
            if key not in self._memo:
                self._memo[key] = make()
            return self._memo[key]

    def per_child(self, key, make):
        """``make(dataset)`` once per dataset: a derived frame with ``child_id`` and a fresh RangeIndex whose
        rows for a child depend on that child's own rows alone, in an order that does not depend on other
        children's rows. A dataset narrowed to whole children (a locality, ethnicity or gender filter) cuts
        its rows from the frame of the dataset it was narrowed from, built there once for every filter: the
        same rows in the same order as building it again, for a slice's cost."""
        origin = self._narrowed_from
        if origin is None or origin[1] is None:
            return self.memo(key, lambda: make(self))
        parent, kept = origin

        def cut():
            whole = parent.per_child(key, make)
            return whole[whole["child_id"].isin(kept).to_numpy()].reset_index(drop=True)
        return self.memo(key, cut)

    def shared(self, key, make):
        """``make(dataset)`` for a value that depends only on frames a filter leaves alone (board attendance,
        benchmarks): a narrowed dataset takes the one of the dataset it was narrowed from."""
        if self._narrowed_from is not None:
            return self._narrowed_from[0].shared(key, make)
        return self.memo(key, lambda: make(self))

    def narrowed(self, kept_children=None, **frames) -> "Dataset":
        """This dataset with some frames replaced by subsets of them (a filter), remembering where it came
        from: ``kept_children`` when the subsets are exactly the rows of those children (see :meth:`per_child`),
        None when rows of kept children were dropped too. Frames not given must be left as they are."""
        out = self.with_frames(**frames)
        kept = None if kept_children is None else frozenset(kept_children)
        object.__setattr__(out, "_narrowed_from", (self, kept))
        return out

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_memo_locks"] = {}  # locks cannot be pickled; a copy starts with its own
        state["_narrowed_from"] = None  # a copy stands alone (it builds its own frames)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    @classmethod
    def from_frames(cls, **frames) -> "Dataset":
        """Build from frames with canonical column names; derives tiers, groups, age bands.

        Unknown keyword arguments that are not frames (``snapshot_id`` etc.) pass through.
        """
        meta = {k: v for k, v in frames.items() if k not in FRAME_OF_SHEET.values()}
        data = {}
        for frame in FRAME_OF_SHEET.values():
            df = frames.get(frame)
            df = empty_frame(frame) if df is None else df.copy()
            if frame == "children" and len(df):
                if "ethnicity_group" not in df.columns or df["ethnicity_group"].isna().any():
                    parsed = df.get("ethnicity", pd.Series([None] * len(df))).map(c.parse_ethnicity)
                    df["ethnicity"] = parsed.map(lambda p: p[0] if p else None)
                    df["ethnicity_group"] = parsed.map(lambda p: p[1] if p else "Not known")
            if frame == "outcomes" and len(df):
                df["tier"] = df["outcome_type"].map(c.OUTCOME_TIERS)
            if frame == "interventions" and len(df):
                df["tier"] = df["intervention_type"].map(intervention_tier)
            if frame == "population" and len(df):
                if "age" in df.columns:
                    age = pd.to_numeric(df["age"], errors="coerce")
                    band = pd.Series(pd.NA, index=df.index, dtype="object")
                    band[age.between(10, 14)] = "10-14"
                    band[age.between(15, 17)] = "15-17"
                    if "age_band" in df.columns:
                        df["age_band"] = df["age_band"].where(df["age_band"].notna(), band)
                    else:
                        df["age_band"] = band
            data[frame] = coerce_frame(frame, df)
        return cls(**data, **meta)

    @property
    def covers(self) -> tuple[dt.date | None, dt.date | None]:
        """Earliest and latest outcome or intervention date in the data."""
        dates = pd.concat([
            self.outcomes["outcome_date"], self.interventions["start_date"],
            self.interventions["end_date"],
        ]).dropna()
        if dates.empty:
            return (None, None)
        return (dates.min().date(), dates.max().date())

    @property
    def row_counts(self) -> dict[str, int]:
        return {sheet: len(getattr(self, frame)) for sheet, frame in FRAME_OF_SHEET.items()}

    def with_frames(self, **frames) -> "Dataset":
        return replace(self, **frames)


def age_on(date_of_birth: pd.Series, on: pd.Series | pd.Timestamp) -> pd.Series:
    """Whole years of age on a date (vectorised; birthdays count on the day)."""
    dob = pd.to_datetime(date_of_birth)
    on = pd.to_datetime(on)
    if isinstance(on, pd.Timestamp):
        years = on.year - dob.dt.year
        before = (on.month < dob.dt.month) | ((on.month == dob.dt.month) & (on.day < dob.dt.day))
    else:
        years = on.dt.year - dob.dt.year
        before = (on.dt.month < dob.dt.month) | (
            (on.dt.month == dob.dt.month) & (on.dt.day < dob.dt.day))
    return (years - before.astype(int)).astype("Int64")


def age_band_of(age: pd.Series) -> pd.Series:
    """10-14 or 15-17; other ages are ``None``."""
    a = pd.to_numeric(age, errors="coerce")
    out = pd.Series(None, index=a.index, dtype="object")
    out[(a >= 10) & (a <= 14)] = "10-14"
    out[(a >= 15) & (a <= 17)] = "15-17"
    return out
