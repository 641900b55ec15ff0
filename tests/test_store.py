"""The store, for real, on an SQLite file and on a PostgreSQL server."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.broken_workbooks import broken_workbooks, valid_xlsx
from yj_metrics.dataset import FRAME_OF_SHEET
from yj_metrics.settings import Settings, Target
from yj_metrics.store import DATA_TABLES, Store

ERROR_CASES = [case for case in broken_workbooks() if case.has_errors]
VALID = valid_xlsx()  # one set of bytes (openpyxl stamps the time into each file)


def _table_dump(url: str) -> dict[str, list]:
    """Every row of every table, in a stable order (compares a PostgreSQL database)."""
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted(map(repr, rows))
    engine.dispose()
    return out


def _fingerprint(url: str):
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        files = sorted(path.parent.glob(path.name + "*"))  # the db, -wal and -shm files
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    return _table_dump(url)


def test_round_trip_gives_back_exactly_the_validated_frames(db_url):
    store = Store(db_url)
    report, result = store.load(VALID, "valid.xlsx", loaded_by="manager-1")
    assert report.ok and result.created
    back = store.dataset()
    for frame in FRAME_OF_SHEET.values():
        pd.testing.assert_frame_equal(getattr(report.dataset, frame), getattr(back, frame), obj=frame)
    info = result.snapshot
    assert back.snapshot_id == info.id and info.loaded_by == "manager-1"
    assert info.sha256 == hashlib.sha256(VALID).hexdigest()
    assert info.row_counts == report.dataset.row_counts
    assert (info.covers_start, info.covers_end) == report.dataset.covers


def test_same_bytes_again_creates_nothing(db_url):
    store = Store(db_url)
    _, first = store.load(VALID, "valid.xlsx")
    _, again = store.load(VALID, "renamed.xlsx")
    assert not again.created and again.snapshot.id == first.snapshot.id
    assert "already loaded" in again.message
    assert len(store.snapshots()) == 1


def test_newest_snapshot_is_live_and_older_ones_are_kept(db_url, demo_dataset):
    store = Store(db_url)
    _, first = store.load(VALID, "valid.xlsx")
    second = store.load_dataset(demo_dataset, "demo.xlsx", sha256="x" * 64)
    assert [s.id for s in store.snapshots()] == [second.snapshot.id, first.snapshot.id]
    assert store.latest().id == second.snapshot.id
    assert len(store.dataset().children) == len(demo_dataset.children)
    assert len(store.dataset(first.snapshot.id).children) == first.snapshot.row_counts["Children"]


def test_ensure_demo_loads_the_demo_only_into_an_empty_store(db_url):
    store = Store(db_url)
    info = store.ensure_demo()
    assert info.is_demo and store.dataset().is_demo
    assert store.ensure_demo().id == info.id and len(store.snapshots()) == 1


def test_settings_round_trip(db_url):
    store = Store(db_url)
    assert store.get_settings() == Settings()
    changed = Settings(service_name="Northshire YJS", suppression_threshold=9,
                       targets={**Settings().targets, "fte_rate": Target("fte_rate", 150, 250)})
    store.save_settings(changed)
    assert Store(db_url).get_settings() == changed


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.name)
def test_a_workbook_with_errors_changes_nothing_in_sqlite(case, sqlite_url):
    store = Store(sqlite_url)
    store.load(VALID, "valid.xlsx")
    store.engine.dispose()
    before = _fingerprint(sqlite_url)
    store = Store(sqlite_url)
    report, result = store.load(case.xlsx, f"{case.name}.xlsx")
    store.engine.dispose()
    assert result is None and report.errors
    assert _fingerprint(sqlite_url) == before  # byte-for-byte


def test_workbooks_with_errors_change_nothing_in_postgresql(postgres_db):
    store = Store(postgres_db)
    store.load(VALID, "valid.xlsx")
    before = _fingerprint(postgres_db)
    for case in ERROR_CASES:
        report, result = store.load(case.xlsx, f"{case.name}.xlsx")
        assert result is None and report.errors, case.name
    assert _fingerprint(postgres_db) == before


def test_no_personal_columns_are_ever_stored(db_url):
    store = Store(db_url)
    store.load(VALID, "valid.xlsx")
    columns = {c.name for table in DATA_TABLES.values() for c in table.columns}
    assert not any(word in col for col in columns for word in ("name", "address", "postcode"))
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        cols = {c["name"] for c in sa.inspect(conn).get_columns("children")}
    engine.dispose()
    assert not cols & {"name", "first_name", "surname", "address", "postcode"}
