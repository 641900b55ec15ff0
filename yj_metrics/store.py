"""The database: snapshots of validated workbooks, all or nothing, plus user settings.

SQLite file under ``data/`` by default, or any SQLAlchemy URL in ``YJ_DATABASE_URL``
(PostgreSQL is tested for real). Each load is one transaction: a snapshot row and every
data row, or nothing. The last snapshot to commit (highest ``commit_seq``, not highest id:
a long load that started first may commit last) is the live data; older ones are kept.

An SQLite file this account cannot write (file or folder) is opened read-only: everything can
be read, and every change raises :class:`StoreReadOnlyError` with a message saying what to do.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from . import contract as c
from .commentary import ACTION_STATUSES, Action, BoardNotes, Commentary
from .dataset import FRAME_OF_SHEET, Dataset, frame_columns
from .errors import NotADashboardDatabase, StoreReadOnlyError
from .mapping import Mapping, validate_mapped
from .reading import RawWorkbook, WorkbookReadError, read_workbook
from .periods import parse_quarter
from .settings import Settings
from .validation import IGNORED_SHEETS, ValidationReport, unreadable_report, validate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB_PATH = ROOT / "data" / "yj_dashboard.db"
DEMO_FILE_NAME = "Demo data (synthetic)"

_SQL_TYPE = {
    "object": sa.Text, "datetime64[ns]": sa.Date, "boolean": sa.Boolean,
    "Int64": sa.Integer, "float64": sa.Float,
}


def default_url() -> str:
    """``$YJ_DATABASE_URL``, else an SQLite file ``data/yj_dashboard.db`` in the project."""
    url = os.environ.get("YJ_DATABASE_URL", "").strip()
    if url:
        return url
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"


def _sqlite_path(url: sa.engine.URL) -> Path | None:
    """The SQLite file a URL names (None for PostgreSQL, memory or a ``file:`` URI)."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _cannot_write(path: Path) -> bool:
    """An existing SQLite file that the file or folder permissions keep this account from changing.

    Raises :class:`StoreReadOnlyError` when the file does not exist and its folder is read-only.
    """
    folder = path.parent
    if not path.exists():
        if folder.exists() and not os.access(folder, os.W_OK):
            raise StoreReadOnlyError(str(path), creating=True)
        return False
    return not (os.access(path, os.W_OK) and os.access(folder, os.W_OK))


metadata = sa.MetaData()
snapshots = sa.Table(
    "snapshots", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("loaded_by", sa.Text, nullable=False, default=""),
    sa.Column("covers_start", sa.Date),
    sa.Column("covers_end", sa.Date),
    sa.Column("row_counts", sa.Text, nullable=False),
    sa.Column("is_demo", sa.Boolean, nullable=False, default=False),
    sa.Column("service_name", sa.Text, nullable=False, default=""),
    sa.Column("commit_seq", sa.Integer),  # commit order: the highest is the live snapshot
)
#: what :class:`SnapshotInfo` is read from (``commit_seq`` may be missing from an old read-only file)
_INFO_COLUMNS = [col for col in snapshots.c if col.name != "commit_seq"]
settings_table = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
role_rules = sa.Table(
    "role_rules", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service", sa.Text, nullable=False, default=""),  # "" = every service
    sa.Column("kind", sa.String(16), nullable=False),            # email | group | domain
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),             # manager | board | partner
    sa.Column("organisation", sa.Text, nullable=False, default=""),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("subject", sa.Text, nullable=False, default=""),
    sa.Column("email", sa.Text, nullable=False, default=""),
    sa.Column("role", sa.String(16), nullable=False, default=""),
    sa.Column("organisation", sa.Text, nullable=False, default=""),
    sa.Column("service", sa.Text, nullable=False, default=""),
    sa.Column("action", sa.String(40), nullable=False, index=True),
    sa.Column("snapshot_id", sa.Integer),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),  # JSON: page, filters, file, before/after...
)
commentary_table = sa.Table(  # one current text per indicator and quarter; each change is audited
    "commentary", metadata,
    sa.Column("indicator", sa.String(64), primary_key=True),
    sa.Column("quarter", sa.String(16), primary_key=True),   # label: 2023-24 Q4
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
actions_table = sa.Table(
    "actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("indicator", sa.String(64), nullable=False),
    sa.Column("quarter", sa.String(16), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False, default=""),
    sa.Column("due", sa.Date),
    sa.Column("status", sa.String(16), nullable=False, default="Open"),
    sa.Column("updated_by", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ({})".format(", ".join(f"'{s}'" for s in ACTION_STATUSES)),
                       name="actions_status"),
)
export_mappings = sa.Table(  # how a case system's export is read; every save is a new version
    "export_mappings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service", sa.Text, nullable=False, default=""),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # Mapping.to_json(): headings and codes, never child data
    sa.Column("saved_by", sa.Text, nullable=False, default=""),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("service", "name", "version", name="export_mappings_version"),
)
sheet_sources = sa.Table(  # where each sheet of a snapshot came from: its upload, or kept from the one before
    "sheet_sources", metadata,
    sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sheet", sa.String(40), primary_key=True),
    sa.Column("file_name", sa.Text, nullable=False),         # the file the rows were uploaded in
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),   # when they were uploaded
    sa.Column("first_snapshot", sa.Integer, nullable=False),  # the snapshot they were uploaded with
    sa.Column("kept", sa.Boolean, nullable=False, default=False),  # kept from the live snapshot before
    sa.Column("rows", sa.Integer, nullable=False, default=0),
)
partner_protection = sa.Table(  # which cells partners may see, computed once per snapshot (no figures)
    "partner_protection", metadata,
    sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("identity", sa.String(64), primary_key=True),  # PartnerProtection.identity: settings, code
    sa.Column("body", sa.LargeBinary, nullable=False),      # PartnerProtection.dump(): compressed masks
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)
#: tables a read-only database made by an older version may lack (read as empty)
_OPTIONAL_TABLES = {"commentary", "actions", "export_mappings", "sheet_sources", "partner_protection"}
#: the sheets a service may upload on their own (in the template's layout), kept across monthly exports
#: that lack them: Victims, Remands, Board_attendance, Population, Benchmarks
OWN_SHEETS = tuple(spec.name for spec in c.SHEETS if not spec.required)
AUDIT_COLUMNS = ("id", "at", "subject", "email", "role", "organisation", "service", "action", "snapshot_id",
                 "detail")
#: the audit log is append-only: the database itself refuses updates and deletes
_AUDIT_GUARD = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
}
DATA_TABLES: dict[str, sa.Table] = {}
for _frame in FRAME_OF_SHEET.values():
    DATA_TABLES[_frame] = sa.Table(
        _frame, metadata,
        sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        *[sa.Column(name, _SQL_TYPE[dtype]()) for name, dtype in frame_columns(_frame).items()],
    )


@dataclass(frozen=True)
class SnapshotInfo:
    """One stored workbook."""

    id: int
    file_name: str
    sha256: str
    loaded_at: dt.datetime
    loaded_by: str
    covers_start: dt.date | None
    covers_end: dt.date | None
    row_counts: dict[str, int]
    is_demo: bool
    service_name: str = ""

    @property
    def label(self) -> str:
        when = self.loaded_at.strftime("%d %b %Y %H:%M")
        return f"#{self.id} {self.file_name} ({when}{', demo' if self.is_demo else ''})"

    def to_dict(self) -> dict:
        return {
            "id": self.id, "file_name": self.file_name, "sha256": self.sha256,
            "loaded_at": self.loaded_at.isoformat(), "loaded_by": self.loaded_by,
            "covers_start": self.covers_start.isoformat() if self.covers_start else None,
            "covers_end": self.covers_end.isoformat() if self.covers_end else None,
            "row_counts": self.row_counts, "is_demo": self.is_demo,
        }


@dataclass(frozen=True)
class LoadResult:
    """What a load did: the snapshot, whether it is new, and a sentence for the user."""

    snapshot: SnapshotInfo
    created: bool
    message: str


@dataclass(frozen=True)
class SavedMapping:
    """One saved version of a mapping: who saved it and when, and the mapping (its ``version`` set)."""

    id: int
    service: str
    name: str
    version: int
    saved_by: str
    saved_at: dt.datetime
    mapping: Mapping


@dataclass(frozen=True)
class SheetSource:
    """Where one sheet of a snapshot came from: the file and time it was uploaded, the snapshot it was
    uploaded with, and whether this snapshot kept it from the live snapshot before (a monthly export that
    lacked it, or another sheet uploaded on its own)."""

    sheet: str
    file_name: str
    loaded_at: dt.datetime
    first_snapshot: int
    kept: bool
    rows: int

    def describe(self) -> str:
        how = "kept from" if self.kept else "from"
        return (f"{self.sheet}: {self.rows:,} row{'' if self.rows == 1 else 's'} {how} {self.file_name} "
                f"(uploaded {self.loaded_at.day} {self.loaded_at:%b %Y %H:%M} UTC, snapshot {self.first_snapshot})")


def sheets_on_their_own(raw: RawWorkbook) -> tuple[str, ...]:
    """Our optional sheets (:data:`OWN_SHEETS`, e.g. ``Population.csv``) when they are all ``raw`` holds (besides
    instruction or list sheets and empty ones): an upload of those sheets on their own, to go with the stored case
    data. A case system's export that also has a sheet called Benchmarks is not one."""
    own = {c.norm_name(name): name for name in OWN_SHEETS}
    found = []
    for name, sheet in raw.sheets.items():
        key = c.norm_name(name)
        if key in own:
            found.append(own[key])
        elif key not in IGNORED_SHEETS and sheet.rows:
            return ()
    return tuple(name for name in OWN_SHEETS if name in found)


def provided_sheets(raw: RawWorkbook, mapping: Mapping | None = None) -> dict[str, str]:
    """Our sheets an upload holds, each with the file it came from: by name in our layout, or the sheets
    ``mapping`` reads from sheets the export has."""
    if mapping is None:
        found = {c.norm_name(n): n for n in raw.sheets}
        pairs = {spec.name: found.get(c.norm_name(spec.name)) for spec in c.SHEETS}
    else:
        by_norm = {c.norm_name(n): n for n in raw.sheets}
        pairs = {sm.sheet: by_norm.get(c.norm_name(sm.source)) for sm in mapping.sheets if sm.source}
    return {sheet: raw.sources.get(theirs, raw.file_name) for sheet, theirs in pairs.items() if theirs is not None}


def _saved_mapping(row) -> SavedMapping:
    m = row._mapping
    mapping = replace(Mapping.from_json(m["body"]), name=m["name"], version=m["version"])
    return SavedMapping(m["id"], m["service"] or "", m["name"], m["version"], m["saved_by"] or "",
                        _utc(m["saved_at"]), mapping)


def _records(frame: pd.DataFrame, columns: dict[str, str], snapshot_id: int) -> list[dict]:
    out = {"snapshot_id": [snapshot_id] * len(frame)}
    for name, dtype in columns.items():
        s = frame[name] if name in frame.columns else pd.Series([None] * len(frame))
        if dtype == "datetime64[ns]":
            vals = [None if pd.isna(v) else v.date() for v in pd.to_datetime(s)]
        elif dtype == "boolean":
            vals = [None if v is pd.NA or v is None else bool(v) for v in s.astype("object")]
        elif dtype == "Int64":
            vals = [None if v is pd.NA or v is None else int(v) for v in s.astype("object")]
        elif dtype == "float64":
            vals = [None if pd.isna(v) else float(v) for v in s]
        else:
            vals = [None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v)
                    for v in s.astype("object")]
        out[name] = vals
    keys = list(out)
    return [dict(zip(keys, row)) for row in zip(*out.values())]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive times: they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _status(status: str) -> str:
    if status not in ACTION_STATUSES:
        raise ValueError(f"'{status}' is not an action status; use one of {', '.join(ACTION_STATUSES)}.")
    return status


def _commentary(row) -> Commentary:
    return Commentary(row.indicator, row.quarter, row.text, row.updated_by or "", _utc(row.updated_at))


def _action(row) -> Action:
    return Action(row.indicator, row.quarter, row.text, row.owner or "", row.due, row.status, row.id,
                  row.updated_by or "", _utc(row.updated_at))


class Store:
    """Snapshots and settings in a SQLAlchemy database (SQLite or PostgreSQL)."""

    def __init__(self, url: str | None = None, sqlite_timeout: float = 30, read_only: bool | None = None):
        """Open (and create or upgrade) the database; ``read_only`` None = an SQLite file this account
        cannot write is opened read-only."""
        self.url = url or default_url()
        target = sa.engine.make_url(self.url)
        path = _sqlite_path(target)
        self.read_only = bool(path is not None and _cannot_write(path)) if read_only is None else read_only
        #: named in messages: the SQLite file, or the URL without its password
        self.where = str(path) if path is not None else target.render_as_string(hide_password=True)
        # hide_parameters: an error message never carries row values (children's ids, case rows);
        # pool_pre_ping: after a database restart the next request reconnects by itself
        kwargs = {"hide_parameters": True, "pool_pre_ping": True}
        if target.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": sqlite_timeout}
        if self.read_only:
            self.engine = (self._read_only_sqlite(path, kwargs) if path is not None
                           else sa.create_engine(self.url, **kwargs))
            self._check_tables()
            return
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.close()
        metadata.create_all(self.engine)
        self._add_commit_seq()
        self._guard_audit_log()
        self._has_commit_seq = True
        self._has_notes = True
        self._has_mappings = True
        self._has_sources = True
        self._has_protection = True

    @staticmethod
    def _read_only_sqlite(path: Path, kwargs: dict) -> sa.engine.Engine:
        """An engine that opens the SQLite file read-only (``mode=ro``).

        A file in WAL mode needs its ``-shm`` and ``-wal`` files even to be read. When they are gone
        (its last writer closed cleanly, so everything is in the file itself) and the folder is
        read-only, ``mode=ro`` cannot create them: the file is then opened ``immutable=1``. That is safe
        enough: a copy nobody here can write is not being written by anyone who can't write it either,
        and a live writer keeps its ``-shm`` file beside it, which ``mode=ro`` can read.
        """
        if not path.exists():
            raise NotADashboardDatabase(f"The database file {path} does not exist. Check YJ_DATABASE_URL.")

        def engine(**query) -> sa.engine.Engine:
            return sa.create_engine(sa.engine.URL.create(
                "sqlite", database=f"file:{quote(str(path))}", query={**query, "uri": "true"}), **kwargs)

        ro = engine(mode="ro")
        try:
            with ro.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            return ro
        except sa.exc.OperationalError:
            ro.dispose()
            return engine(immutable="1")

    def _check_tables(self) -> None:
        """A read-only database must already be a dashboard database (nothing can be created in it)."""
        inspector = sa.inspect(self.engine)
        tables = set(inspector.get_table_names())
        missing = sorted(set(metadata.tables) - _OPTIONAL_TABLES - tables)
        if missing:
            raise NotADashboardDatabase(
                f"The read-only database {self.where} is not a dashboard database (or was made by an older "
                f"version): it has no {', '.join(missing)} table(s). Check YJ_DATABASE_URL.")
        self._has_commit_seq = "commit_seq" in {col["name"] for col in inspector.get_columns("snapshots")}
        self._has_notes = {"commentary", "actions"} <= tables
        self._has_mappings = "export_mappings" in tables
        self._has_sources = "sheet_sources" in tables
        self._has_protection = "partner_protection" in tables

    def _add_commit_seq(self) -> None:
        """Databases made before ``commit_seq`` get the column; their snapshots keep their id order."""
        def present() -> bool:
            return "commit_seq" in {col["name"] for col in sa.inspect(self.engine).get_columns("snapshots")}

        if present():
            return
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE snapshots ADD COLUMN commit_seq INTEGER")
                conn.execute(snapshots.update().values(commit_seq=snapshots.c.id))
        except sa.exc.DBAPIError:  # another process added it at the same moment
            if not present():
                raise

    def _writable(self) -> None:
        """Raise :class:`StoreReadOnlyError` before any change to a read-only database."""
        if self.read_only:
            raise StoreReadOnlyError(self.where)

    def _guard_audit_log(self) -> None:
        dialect = self.engine.dialect.name
        guard = _AUDIT_GUARD.get(dialect, [])
        if not guard:
            return
        exists = {"sqlite": "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_log_no_%'",
                  "postgresql": "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_log_append_only'"}[dialect]
        with self.engine.connect() as conn:
            if conn.exec_driver_sql(exists).scalar():
                return
        try:
            with self.engine.begin() as conn:
                for stmt in guard:
                    conn.exec_driver_sql(stmt)
        except sa.exc.DBAPIError:  # another process created it at the same moment
            with self.engine.connect() as conn:
                if not conn.exec_driver_sql(exists).scalar():
                    raise

    # ------------------------------------------------------------------ snapshots

    @staticmethod
    def _info(row) -> SnapshotInfo:
        m = row._mapping
        loaded_at = m["loaded_at"]
        if loaded_at.tzinfo is None:
            loaded_at = loaded_at.replace(tzinfo=dt.timezone.utc)
        return SnapshotInfo(
            id=m["id"], file_name=m["file_name"], sha256=m["sha256"], loaded_at=loaded_at,
            loaded_by=m["loaded_by"] or "", covers_start=m["covers_start"], covers_end=m["covers_end"],
            row_counts=json.loads(m["row_counts"]), is_demo=bool(m["is_demo"]),
            service_name=m["service_name"] or "",
        )

    def _newest_first(self) -> sa.Select:
        """Snapshots in reverse commit order (id order in an old read-only file without ``commit_seq``)."""
        order = [snapshots.c.commit_seq.desc().nulls_last()] if self._has_commit_seq else []
        return sa.select(*_INFO_COLUMNS).order_by(*order, snapshots.c.id.desc())

    def snapshots(self) -> list[SnapshotInfo]:
        """Every snapshot, newest (last committed) first."""
        with self.engine.connect() as conn:
            rows = conn.execute(self._newest_first()).all()
        return [self._info(r) for r in rows]

    def snapshot(self, snapshot_id: int) -> SnapshotInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_INFO_COLUMNS).where(snapshots.c.id == snapshot_id)).first()
        return self._info(row) if row else None

    def latest(self) -> SnapshotInfo | None:
        """The live snapshot (the last committed), or None when the store is empty."""
        with self.engine.connect() as conn:
            row = conn.execute(self._newest_first().limit(1)).first()
        return self._info(row) if row else None

    def find_sha(self, sha256: str) -> SnapshotInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_INFO_COLUMNS).where(snapshots.c.sha256 == sha256)).first()
        return self._info(row) if row else None

    def load(self, data: bytes, file_name: str, loaded_by: str = "",
             today: dt.date | None = None, raw: RawWorkbook | None = None
             ) -> tuple[ValidationReport, LoadResult | None]:
        """Validate workbook bytes and store them as a new snapshot when there is no error.

        The same bytes loaded before create nothing (the result says which snapshot has them).
        A workbook with any error changes nothing. A read-only store refuses before reading the file.
        ``raw``: the file already read (bounded) from ``data``, so it is not read twice (several files
        uploaded together: ``data`` is :func:`~yj_metrics.reading.bundle_bytes`, and ``raw`` is needed).
        Our optional sheets the workbook lacks are kept from the live snapshot (:meth:`load_dataset`).
        """
        def check():
            book = raw
            if book is None:
                try:
                    book = read_workbook(data, file_name)
                except WorkbookReadError as exc:
                    return unreadable_report(exc.message, file_name), {}
            return validate(book, today=today), provided_sheets(book)

        return self._load(data, file_name, loaded_by, check)

    def load_export(self, data: bytes, file_name: str, mapping: Mapping, loaded_by: str = "",
                    today: dt.date | None = None, raw: RawWorkbook | None = None
                    ) -> tuple[ValidationReport, LoadResult | None]:
        """:meth:`load` for a case system's export read with ``mapping``: problems are in the export's
        sheets, rows and headings, and nothing is stored unless the mapped data have no error. ``raw``:
        the file already read (bounded) from ``data``, so it is not read twice. Our optional sheets the
        mapping does not read from this export are kept from the live snapshot."""
        def check():
            book = raw
            if book is None:
                try:
                    book = read_workbook(data, file_name)
                except WorkbookReadError as exc:
                    return unreadable_report(exc.message, file_name), {}
            return validate_mapped(book, mapping, today=today), provided_sheets(book, mapping)

        return self._load(data, file_name, loaded_by, check)

    def load_sheets(self, data: bytes, file_name: str, loaded_by: str = "", today: dt.date | None = None,
                    raw: RawWorkbook | None = None) -> tuple[ValidationReport, LoadResult | None]:
        """Sheets uploaded on their own (:data:`OWN_SHEETS` in the template's layout, a workbook or CSV files,
        e.g. this year's Population): checked against the live snapshot's children and outcomes, then stored
        as a new snapshot holding the live case data with these sheets, every other sheet kept. Nothing is
        stored when there is an error, or when the live data are the demo (there are no case data for the
        sheets to go with yet)."""
        def check():
            book = raw
            if book is None:
                try:
                    book = read_workbook(data, file_name)
                except WorkbookReadError as exc:
                    return unreadable_report(exc.message, file_name), {}
            live = self.latest()
            own = sheets_on_their_own(book)
            if live is None or live.is_demo or not own:
                what = ", ".join(own) or "These sheets"
                message = (f"{what} can be uploaded on their own only to go with a service's own case data, and "
                           + ("none is stored yet (only the demo data). " if live is not None else
                              "none is stored yet. ")
                           + "Upload this month's case-level export first, then upload these again.")
                return unreadable_report(message, file_name), {}
            report = validate(book, today=today, along=self.dataset(live.id))
            return report, {sheet: where for sheet, where in provided_sheets(book).items() if sheet in own}

        return self._load(data, file_name, loaded_by, check, keep_all=True)

    def _load(self, data: bytes, file_name: str, loaded_by: str, check, keep_all: bool = False
              ) -> tuple[ValidationReport, LoadResult | None]:
        """Bytes loaded before create nothing (the result names their snapshot); otherwise ``check()``
        validates them (``(report, provided sheets)``) and the dataset is stored only when it has no error."""
        self._writable()
        sha = hashlib.sha256(data).hexdigest()
        existing = self.find_sha(sha)
        if existing is not None:
            return ValidationReport(file_name=file_name), LoadResult(
                existing, False, f"This file is already loaded as snapshot {existing.id} "
                                 f"({existing.file_name}); nothing new was stored.")
        report, provided = check()
        if not report.ok or report.dataset is None:
            return report, None
        return report, self.load_dataset(report.dataset, file_name, sha, loaded_by=loaded_by, provided=provided,
                                         keep_all=keep_all)

    def load_dataset(self, ds: Dataset, file_name: str, sha256: str, loaded_by: str = "",
                     is_demo: bool = False, provided: dict[str, str] | None = None,
                     keep_all: bool = False) -> LoadResult:
        """Store a validated dataset as one snapshot in one transaction.

        ``provided``: the sheets the upload held, each with the file it came from (None: every sheet, from
        ``file_name``). Each of :data:`OWN_SHEETS` it lacks is kept from the live snapshot, rows and origin,
        unless that is the demo; ``keep_all``: every sheet it lacks (sheets uploaded on their own). Where each
        sheet came from is stored with the snapshot (:meth:`sheet_sources`)."""
        self._writable()
        existing = self.find_sha(sha256)
        if existing is not None:
            return LoadResult(existing, False,
                              f"This file is already loaded as snapshot {existing.id}; nothing new was stored.")
        if provided is None:
            provided = {spec.name: file_name for spec in c.SHEETS}
        try:
            with self.engine.begin() as conn:
                snapshot_id = self._insert_snapshot(conn, ds, file_name, sha256, loaded_by, is_demo)
                self._mark_committed(conn, snapshot_id)  # on PostgreSQL, the live snapshot is now fixed
                kept = self._record_sources(conn, snapshot_id, ds, provided, keep_all)
        except IntegrityError:
            existing = self.find_sha(sha256)
            if existing is None:
                raise
            return LoadResult(existing, False, f"This file is already loaded as snapshot {existing.id}.")
        info = self.snapshot(snapshot_id)
        total = sum(info.row_counts.values())
        message = f"Stored as snapshot {snapshot_id} ({total:,} rows); it is now the live data."
        core = [k for k in kept if k.sheet not in OWN_SHEETS]
        if core:
            files = ", ".join(dict.fromkeys(k.file_name for k in core))
            message += (f" It holds the case data of snapshot {core[0].first_snapshot} ({files}) with "
                        f"the sheets uploaded: {', '.join(provided)}.")
        own = [k for k in kept if k.sheet in OWN_SHEETS]
        if own:
            message += " Kept from before: " + "; ".join(k.describe() for k in own) + "."
        return LoadResult(info, True, message)

    def _record_sources(self, conn: sa.Connection, snapshot_id: int, ds: Dataset, provided: dict[str, str],
                        keep_all: bool) -> list[SheetSource]:
        """Write where each sheet came from, and copy the sheets the upload lacks from the live snapshot
        before this one (rows and origin, in this transaction); the snapshot's row counts and dates then
        include them. Returns what was kept."""
        now = conn.execute(sa.select(snapshots.c.loaded_at).where(snapshots.c.id == snapshot_id)).scalar()
        rows = []
        for sheet, origin in provided.items():
            count = len(getattr(ds, FRAME_OF_SHEET[sheet]))
            rows.append({"snapshot_id": snapshot_id, "sheet": sheet, "file_name": origin, "loaded_at": now,
                         "first_snapshot": snapshot_id, "kept": False, "rows": count})
        before = conn.execute(
            sa.select(snapshots.c.id, snapshots.c.is_demo, snapshots.c.file_name, snapshots.c.loaded_at,
                      snapshots.c.row_counts, snapshots.c.covers_start, snapshots.c.covers_end)
            .where(snapshots.c.id != snapshot_id, snapshots.c.commit_seq.is_not(None))
            .order_by(snapshots.c.commit_seq.desc()).limit(1)).first()
        kept: list[SheetSource] = []
        wanted = [spec.name for spec in c.SHEETS if spec.name not in provided
                  and (keep_all or spec.name in OWN_SHEETS)]
        if before is not None and not before.is_demo and wanted:
            origins = {r.sheet: r for r in conn.execute(
                sa.select(sheet_sources).where(sheet_sources.c.snapshot_id == before.id)).all()}
            counts = json.loads(before.row_counts)
            for sheet in wanted:
                if not counts.get(sheet) and sheet not in origins:
                    continue  # nothing to keep: the snapshot before had none either
                table = DATA_TABLES[FRAME_OF_SHEET[sheet]]
                names = list(frame_columns(FRAME_OF_SHEET[sheet]))
                conn.execute(table.insert().from_select(
                    ["snapshot_id", *names],
                    sa.select(sa.literal(snapshot_id, sa.Integer), *[table.c[n] for n in names])
                    .where(table.c.snapshot_id == before.id).order_by(table.c.row_id)))
                o = origins.get(sheet)  # a snapshot stored before sources were recorded: its own upload
                source = SheetSource(sheet, o.file_name if o else before.file_name,
                                     _utc(o.loaded_at if o else before.loaded_at),
                                     o.first_snapshot if o else before.id, True, int(counts.get(sheet, 0)))
                kept.append(source)
                rows.append({"snapshot_id": snapshot_id, "sheet": sheet, "file_name": source.file_name,
                             "loaded_at": source.loaded_at, "first_snapshot": source.first_snapshot,
                             "kept": True, "rows": source.rows})
        if rows:
            conn.execute(sheet_sources.insert(), rows)
        if kept:
            counts = {**ds.row_counts, **{k.sheet: k.rows for k in kept}}
            changes = {"row_counts": json.dumps(counts)}
            if keep_all and before is not None and "Outcomes" not in provided:  # the case data are the ones kept
                changes.update(covers_start=before.covers_start, covers_end=before.covers_end)
            conn.execute(snapshots.update().where(snapshots.c.id == snapshot_id).values(**changes))
        return kept

    def sheet_sources(self, snapshot_id: int) -> list[SheetSource]:
        """Where each sheet of a snapshot came from (in the template's sheet order); empty for a snapshot
        stored before this was recorded."""
        if not self._has_sources:
            return []
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(sheet_sources).where(sheet_sources.c.snapshot_id == snapshot_id)).all()
        order = {spec.name: i for i, spec in enumerate(c.SHEETS)}
        return [SheetSource(r.sheet, r.file_name, _utc(r.loaded_at), r.first_snapshot, bool(r.kept), r.rows)
                for r in sorted(found, key=lambda r: order.get(r.sheet, 99))]

    @staticmethod
    def _insert_snapshot(conn: sa.Connection, ds: Dataset, file_name: str, sha256: str, loaded_by: str = "",
                         is_demo: bool = False) -> int:
        """The snapshot row and every data row, not yet in commit order; returns the snapshot id."""
        start, end = ds.covers
        snapshot_id = conn.execute(snapshots.insert().values(
            file_name=file_name, sha256=sha256, loaded_at=dt.datetime.now(dt.timezone.utc),
            loaded_by=loaded_by or "", covers_start=start, covers_end=end,
            row_counts=json.dumps(ds.row_counts), is_demo=bool(is_demo or ds.is_demo),
            service_name=ds.service_name or "",
        )).inserted_primary_key[0]
        for frame, table in DATA_TABLES.items():
            df = getattr(ds, frame)
            if len(df):
                conn.execute(table.insert(), _records(df, frame_columns(frame), snapshot_id))
        return snapshot_id

    @staticmethod
    def _mark_committed(conn: sa.Connection, snapshot_id: int) -> None:
        """The transaction's last step: number the snapshot after every one committed before it.

        Ids are handed out when a load starts, so a long load that started first could commit last;
        ``commit_seq`` follows commit order. On PostgreSQL a lock that conflicts only with itself
        (not with the inserts of other loads, which would deadlock) serialises this step until
        commit; SQLite already lets one writer at a time.
        """
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE snapshots IN SHARE UPDATE EXCLUSIVE MODE")
        after = sa.select(sa.func.coalesce(sa.func.max(snapshots.c.commit_seq), 0) + 1).scalar_subquery()
        conn.execute(snapshots.update().where(snapshots.c.id == snapshot_id).values(commit_seq=after))

    def dataset(self, snapshot_id: int | None = None) -> Dataset:
        """The stored data of a snapshot (the live one when ``snapshot_id`` is None)."""
        info = self.latest() if snapshot_id is None else self.snapshot(snapshot_id)
        if info is None:
            raise LookupError("The database has no snapshot yet: upload a workbook first.")
        frames = {}
        with self.engine.connect() as conn:
            for frame, table in DATA_TABLES.items():
                cols = [table.c[name] for name in frame_columns(frame)]
                query = sa.select(*cols).where(table.c.snapshot_id == info.id).order_by(table.c.row_id)
                frames[frame] = pd.read_sql(query, conn)
        return Dataset.from_frames(**frames, snapshot_id=info.id, file_name=info.file_name,
                                   is_demo=info.is_demo,
                                   service_name=info.service_name or Dataset().service_name)

    def ensure_demo(self) -> SnapshotInfo:
        """Load the synthetic demo service when the database is empty; return the live snapshot."""
        live = self.latest()
        if live is not None:
            return live
        if self.read_only:
            raise StoreReadOnlyError(self.where, "the demo data cannot be loaded into the empty database")
        from .demo import demo_dataset

        ds = demo_dataset()
        return self.load_dataset(ds, DEMO_FILE_NAME, sha256="demo-seed-7-children-1500", is_demo=True).snapshot

    def make_live(self, snapshot_id: int, by: str, audit: dict | None = None) -> SnapshotInfo:
        """Make a stored snapshot the live data again (a rollback); its rows are not copied.

        One transaction gives it the next ``commit_seq`` and writes the audit row ``rollback`` with
        who (``by``, or the identity columns in ``audit``: subject, email, role, organisation,
        service) and the snapshots it goes from and to. Raises LookupError for an unknown id and
        ValueError when the snapshot is already live.
        """
        self._writable()
        target = self.snapshot(snapshot_id)
        if target is None:
            raise LookupError(f"There is no snapshot {snapshot_id}.")
        if self.latest().id == snapshot_id:
            raise ValueError(f"Snapshot {snapshot_id} is already the live data.")
        who = {"subject": by, **(audit or {})}
        with self.engine.begin() as conn:
            self._mark_committed(conn, snapshot_id)  # takes the write lock before reading what was live
            before = conn.execute(
                sa.select(snapshots.c.id).where(snapshots.c.id != snapshot_id)
                .order_by(snapshots.c.commit_seq.desc().nulls_last(), snapshots.c.id.desc()).limit(1)).scalar()
            conn.execute(audit_log.insert().values(
                at=dt.datetime.now(dt.timezone.utc), action="rollback", snapshot_id=snapshot_id,
                detail=json.dumps({"from_snapshot": before, "to_snapshot": snapshot_id, "by": by,
                                   "file_name": target.file_name}, sort_keys=True),
                **{k: who.get(k) or "" for k in ("subject", "email", "role", "organisation", "service")}))
        return self.snapshot(snapshot_id)

    # ------------------------------------------------------------------ partner protection

    def kept_protection(self, snapshot_id: int, identity: str) -> bytes | None:
        """The partner protection kept for a snapshot (``PartnerProtection.dump``), or None."""
        if not self._has_protection:
            return None
        with self.engine.connect() as conn:
            return conn.execute(sa.select(partner_protection.c.body).where(
                partner_protection.c.snapshot_id == snapshot_id,
                partner_protection.c.identity == identity)).scalar()

    def keep_protection(self, snapshot_id: int, identity: str, body: bytes) -> bool:
        """Keep a snapshot's partner protection, so that a restart reads it instead of computing it; older
        ones of the snapshot (other settings or code) are dropped. False on a read-only database."""
        if self.read_only:
            return False
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(snapshots.c.id).where(snapshots.c.id == snapshot_id)).scalar() is None:
                    return False  # the snapshot is gone (a failed load): nothing to keep
                conn.execute(partner_protection.delete().where(partner_protection.c.snapshot_id == snapshot_id))
                conn.execute(partner_protection.insert().values(snapshot_id=snapshot_id, identity=identity,
                                                                body=body, computed_at=_now()))
        except sa.exc.IntegrityError:  # another process kept the same protection at the same moment
            return False
        return True

    # ------------------------------------------------------------------ settings

    def get_settings(self) -> Settings:
        """The saved settings, or the shipped defaults."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(settings_table.c.value).where(settings_table.c.key == "settings")).first()
        return Settings.from_json(row[0]) if row else Settings()

    def save_settings(self, settings: Settings) -> None:
        self._writable()
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(settings_table.delete().where(settings_table.c.key == "settings"))
            conn.execute(settings_table.insert().values(key="settings", value=settings.to_json(), updated_at=now))

    def ping(self) -> None:
        """Raise when the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(sa.select(1))

    # ------------------------------------------------------------------ role mapping

    def role_rules(self, service: str | None = None) -> list:
        """The role-mapping rules (for one service and for every service when ``service`` is given)."""
        from .access import RoleRule

        q = sa.select(role_rules).order_by(role_rules.c.service, role_rules.c.kind, role_rules.c.value)
        if service is not None:
            q = q.where(role_rules.c.service.in_(["", service]))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [RoleRule(r.kind, r.value, r.role, r.organisation or "", r.service or "", r.note or "") for r in rows]

    def replace_role_rules(self, rules: list, service: str | None = None) -> None:
        """Replace every rule (or only one service's rules) in one transaction."""
        self._writable()
        now = dt.datetime.now(dt.timezone.utc)
        with self.engine.begin() as conn:
            q = role_rules.delete()
            if service is not None:
                q = q.where(role_rules.c.service == service)
            conn.execute(q)
            if rules:
                conn.execute(role_rules.insert(), [{**r.to_dict(), "updated_at": now} for r in rules])

    # ------------------------------------------------------------------ commentary and actions

    def board_notes(self, quarter: str) -> BoardNotes:
        """A quarter's commentary and actions, and the previous quarter's actions with their status now.

        ``quarter`` is a label such as ``2023-24 Q4`` (ValueError otherwise).
        """
        label = parse_quarter(quarter).label
        if not self._has_notes:  # a read-only file from before commentary was stored
            return BoardNotes(label)
        previous = parse_quarter(label).previous().label
        with self.engine.connect() as conn:
            texts = conn.execute(sa.select(commentary_table).where(commentary_table.c.quarter == label)
                                 .order_by(commentary_table.c.indicator)).all()
            rows = conn.execute(sa.select(actions_table).where(actions_table.c.quarter.in_([label, previous]))
                                .order_by(actions_table.c.id)).all()
        actions = [_action(r) for r in rows]
        return BoardNotes(label, {r.indicator: _commentary(r) for r in texts},
                          tuple(a for a in actions if a.quarter == label),
                          tuple(a for a in actions if a.quarter == previous))

    def save_commentary(self, indicator: str, quarter: str, text: str, by: str) -> Commentary | None:
        """Set the commentary on an indicator for a quarter, replacing any before; blank text removes it."""
        self._writable()
        label, text = parse_quarter(quarter).label, text.strip()
        key = (commentary_table.c.indicator == indicator) & (commentary_table.c.quarter == label)
        with self.engine.begin() as conn:
            if not text:
                conn.execute(commentary_table.delete().where(key))
                return None
            insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[conn.dialect.name]
            stmt = insert(commentary_table).values(indicator=indicator, quarter=label, text=text,
                                                   updated_by=by or "", updated_at=_now())
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["indicator", "quarter"],
                set_={c: stmt.excluded[c] for c in ("text", "updated_by", "updated_at")}))
            return _commentary(conn.execute(sa.select(commentary_table).where(key)).one())

    def add_action(self, indicator: str, quarter: str, text: str, by: str, owner: str = "",
                   due: dt.date | None = None, status: str = "Open") -> Action:
        """Record an action agreed on an indicator in a quarter; returns it with its id."""
        self._writable()
        if not text.strip():
            raise ValueError("Describe the action.")
        with self.engine.begin() as conn:
            action_id = conn.execute(actions_table.insert().values(
                indicator=indicator, quarter=parse_quarter(quarter).label, text=text.strip(),
                owner=owner.strip(), due=due, status=_status(status), updated_by=by or "",
                updated_at=_now())).inserted_primary_key[0]
            return _action(conn.execute(sa.select(actions_table).where(actions_table.c.id == action_id)).one())

    def set_action_status(self, action_id: int, status: str, by: str) -> Action:
        """Change an action's status (one of ``ACTION_STATUSES``); LookupError for an unknown id."""
        self._writable()
        with self.engine.begin() as conn:
            done = conn.execute(actions_table.update().where(actions_table.c.id == action_id).values(
                status=_status(status), updated_by=by or "", updated_at=_now()))
            if not done.rowcount:
                raise LookupError(f"There is no action {action_id}.")
            return _action(conn.execute(sa.select(actions_table).where(actions_table.c.id == action_id)).one())

    # ------------------------------------------------------------------ mappings of case systems' exports

    def save_mapping(self, mapping: Mapping, by: str, service: str = "") -> SavedMapping:
        """Save ``mapping`` as the next version of its name for ``service``; returns what was saved.

        A mapping holds headings and vocabulary codes only (:class:`~yj_metrics.mapping.Mapping` refuses
        anything that looks like a date, an id or free text), so no child data is stored here."""
        self._writable()
        name = mapping.name.strip()
        if not name:
            raise ValueError("Give the mapping a name, e.g. the case system and report it reads.")
        key = (export_mappings.c.service == service) & (export_mappings.c.name == name)
        for attempt in range(3):  # two saves of the same name at once: the loser takes the next version
            try:
                with self.engine.begin() as conn:
                    version = (conn.execute(sa.select(sa.func.max(export_mappings.c.version)).where(key))
                               .scalar() or 0) + 1
                    body = replace(mapping, name=name, version=version).to_json()
                    new_id = conn.execute(export_mappings.insert().values(
                        service=service, name=name, version=version, body=body, saved_by=by or "",
                        saved_at=_now())).inserted_primary_key[0]
                    return _saved_mapping(conn.execute(
                        sa.select(export_mappings).where(export_mappings.c.id == new_id)).one())
            except IntegrityError:
                if attempt == 2:
                    raise

    def saved_mappings(self, service: str = "") -> list[SavedMapping]:
        """The newest version of each of ``service``'s mappings, most recently saved first."""
        if not self._has_mappings:
            return []
        newest = (sa.select(export_mappings.c.name, sa.func.max(export_mappings.c.version).label("version"))
                  .where(export_mappings.c.service == service).group_by(export_mappings.c.name).subquery())
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(export_mappings).join(
                newest, (export_mappings.c.name == newest.c.name) & (export_mappings.c.version == newest.c.version))
                .where(export_mappings.c.service == service).order_by(export_mappings.c.saved_at.desc(),
                                                                      export_mappings.c.id.desc())).all()
        return [_saved_mapping(r) for r in rows]

    def mapping_history(self, name: str, service: str = "") -> list[SavedMapping]:
        """Every saved version of one mapping, newest first."""
        if not self._has_mappings:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(export_mappings).where(
                (export_mappings.c.service == service) & (export_mappings.c.name == name))
                .order_by(export_mappings.c.version.desc())).all()
        return [_saved_mapping(r) for r in rows]

    # ------------------------------------------------------------------ audit log

    def append_audit(self, action: str, *, subject: str = "", email: str = "", role: str = "",
                     organisation: str = "", service: str = "", snapshot_id: int | None = None,
                     detail: dict | None = None, at: dt.datetime | None = None) -> None:
        """Add one row to the append-only audit log."""
        self._writable()
        with self.engine.begin() as conn:
            conn.execute(audit_log.insert().values(
                at=at or dt.datetime.now(dt.timezone.utc), subject=subject or "", email=email or "",
                role=role or "", organisation=organisation or "", service=service or "", action=action,
                snapshot_id=snapshot_id, detail=json.dumps(detail or {}, sort_keys=True, default=str)))

    def audit_entries(self, person: str | None = None, actions: list[str] | None = None,
                      since: dt.date | None = None, until: dt.date | None = None,
                      limit: int | None = None) -> pd.DataFrame:
        """Audit rows, newest first; ``person`` matches the e-mail or the subject exactly;
        ``since``/``until`` are days (inclusive, UTC)."""
        q = sa.select(*[audit_log.c[c] for c in AUDIT_COLUMNS]).order_by(audit_log.c.id.desc())
        if person:
            q = q.where(sa.or_(audit_log.c.email == person, audit_log.c.subject == person))
        if actions:
            q = q.where(audit_log.c.action.in_(list(actions)))
        if since is not None:
            q = q.where(audit_log.c.at >= dt.datetime.combine(since, dt.time.min, dt.timezone.utc))
        if until is not None:
            q = q.where(audit_log.c.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min,
                                                             dt.timezone.utc))
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        df = pd.DataFrame([tuple(r) for r in rows], columns=list(AUDIT_COLUMNS))
        df["snapshot_id"] = df["snapshot_id"].astype("Int64")
        if len(df):
            df["at"] = [(v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)) for v in df["at"]]
        return df

    def audit_people(self) -> list[str]:
        """Everyone in the audit log (e-mail, else subject)."""
        who = sa.func.coalesce(sa.func.nullif(audit_log.c.email, ""), audit_log.c.subject)
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.select(who).distinct().order_by(who)).all() if r[0]]

    # ------------------------------------------------------------------ data quality

    def completeness(self, snapshot_id: int | None = None) -> pd.DataFrame:
        """Per sheet and column: rows, share filled, and share recorded as Not known/Unknown."""
        return completeness(self.dataset(snapshot_id))


def completeness(ds: Dataset) -> pd.DataFrame:
    """Per sheet and column: rows, % filled and % Not known/Unknown (derived columns left out)."""
    rows = []
    unknown = {"not known", "unknown", "not known - refused", "not known - not obtained"}
    for spec in c.SHEETS:
        df = getattr(ds, FRAME_OF_SHEET[spec.name])
        n = len(df)
        for col in spec.columns:
            s = df[col.name] if col.name in df.columns else pd.Series([], dtype="object")
            filled = int(s.notna().sum())
            nk = int(s.astype("object").map(lambda v: str(v).lower() in unknown if v is not None else False).sum()) \
                if col.kind in ("vocab", "text") else 0
            if spec.name == "Children" and col.name == "ethnicity":
                nk = int((ds.children["ethnicity_group"] == "Not known").sum())
                filled = int(s.notna().sum())
            rows.append({"sheet": spec.name, "column": col.name, "required": col.required, "rows": n,
                         "filled_pct": round(filled / n * 100, 1) if n else None,
                         "not_known_pct": round(nk / n * 100, 1) if n else None})
    return pd.DataFrame(rows)
