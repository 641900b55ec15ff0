"""The store under hostile conditions, for real: read-only SQLite files, loads committing out of
order, a PostgreSQL server dropping its connections."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from dataclasses import replace

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.broken_workbooks import valid_xlsx
from yj_metrics.dataset import FRAME_OF_SHEET
from yj_metrics.errors import NotADashboardDatabase, StoreReadOnlyError, kind_of, plain_message
from yj_metrics.settings import Settings
from yj_metrics.store import Store

ROOT_USER = os.geteuid() == 0


def _fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def _written(url, ds) -> tuple[Store, Settings]:
    store = Store(url)
    store.load_dataset(ds, "april.xlsx", sha256="a" * 64)
    settings = replace(Settings(), service_name="Northshire YJS", suppression_threshold=7)
    store.save_settings(settings)
    store.append_audit("upload", subject="manager-1", detail={"file_name": "april.xlsx"})
    store.engine.dispose()
    return store, settings


def _assert_same_data(a, b) -> None:
    for frame in FRAME_OF_SHEET.values():
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame), obj=frame)


def _assert_refuses_every_write(store: Store, ds, where: str) -> None:
    writes = [
        lambda: store.load_dataset(ds, "may.xlsx", sha256="b" * 64),
        lambda: store.load(valid_xlsx(), "may.xlsx"),
        lambda: store.save_settings(Settings()),
        lambda: store.replace_role_rules([]),
        lambda: store.append_audit("download"),
        lambda: store.make_live(store.latest().id, "ann"),
        lambda: store.save_commentary("fte_rate", "2023-24 Q4", "text", "ann"),
        lambda: store.add_action("fte_rate", "2023-24 Q4", "an action", "ann"),
        lambda: store.set_action_status(1, "Done", "ann"),
    ]
    for write in writes:
        with pytest.raises(StoreReadOnlyError) as info:
            write()
        assert where in info.value.message and "read-only" in info.value.message
        assert "YJ_DATABASE_URL" in info.value.message
        assert kind_of(info.value) == "read_only" and plain_message(info.value) == info.value.message


# ---------------------------------------------------------------- read-only SQLite

def test_read_only_sqlite_file_reads_everything_and_changes_nothing(tmp_path, demo_dataset):
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "yj.db"
    url = f"sqlite:///{path}"
    writer, settings = _written(url, demo_dataset)
    live = writer.dataset()
    with path.open("rb") as f:
        assert f.read(20)[18:20] == b"\x02\x02"  # written in WAL mode (file format 2 = WAL)
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        before = _fingerprint(path)
        # root ignores permissions, so only the explicit flag can make it read-only there
        store = Store(url, read_only=True) if ROOT_USER else Store(url)
        assert store.read_only
        _assert_same_data(store.dataset(), live)
        assert store.get_settings() == settings
        assert store.latest().file_name == "april.xlsx" and len(store.snapshots()) == 1
        assert list(store.audit_entries()["action"]) == ["upload"]
        assert store.ensure_demo().file_name == "april.xlsx"  # not empty: nothing to load
        _assert_refuses_every_write(store, demo_dataset, str(path))
        store.engine.dispose()
        assert _fingerprint(path) == before
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_unwritable_folder_is_detected_and_opened_read_only(sealable_folder, demo_dataset):
    """No flag: the permissions (or a read-only mount) decide. The WAL files are gone and cannot be
    created, so the file is opened immutable."""
    folder, seal = sealable_folder
    path = folder / "yj.db"
    url = f"sqlite:///{path}"
    writer, settings = _written(url, demo_dataset)
    live = writer.dataset()
    writer.engine.dispose()
    seal()
    before = _fingerprint(path)
    store = Store(url)
    assert store.read_only
    _assert_same_data(store.dataset(), live)
    assert store.get_settings() == settings
    _assert_refuses_every_write(store, demo_dataset, str(path))
    assert _fingerprint(path) == before and sorted(p.name for p in folder.iterdir()) == ["yj.db"]


def test_a_missing_file_in_an_unwritable_folder_cannot_be_created(sealable_folder):
    folder, seal = sealable_folder
    seal()
    with pytest.raises(StoreReadOnlyError) as info:
        Store(f"sqlite:///{folder / 'new.db'}")
    assert "cannot be created" in info.value.message and str(folder / "new.db") in info.value.message


def test_an_empty_read_only_store_cannot_load_the_demo(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(url).engine.dispose()
    store = Store(url, read_only=True)
    assert store.latest() is None
    with pytest.raises(StoreReadOnlyError):
        store.ensure_demo()


def test_a_read_only_file_that_is_not_a_dashboard_database_says_so(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(NotADashboardDatabase) as info:
        Store(f"sqlite:///{path}", read_only=True)
    assert str(path) in info.value.message and "not a dashboard database" in info.value.message
    assert kind_of(info.value) == "not_dashboard"


def test_read_only_postgresql_reads_and_refuses_writes(postgres_db, demo_dataset):
    writer, settings = _written(postgres_db, demo_dataset)
    store = Store(postgres_db, read_only=True)
    assert store.get_settings() == settings and store.latest().file_name == "april.xlsx"
    _assert_refuses_every_write(store, demo_dataset, "127.0.0.1")
    assert len(Store(postgres_db).snapshots()) == 1


# ---------------------------------------------------------------- commit order

def test_a_load_that_started_first_but_committed_last_is_live_on_postgresql(postgres_db, demo_dataset):
    store = Store(postgres_db)
    small = replace(demo_dataset, is_demo=False)
    with store.engine.connect() as conn_a:
        with conn_a.begin():
            first = store._insert_snapshot(conn_a, small, "started-first.xlsx", "a" * 64)
            second = store.load_dataset(small, "committed-first.xlsx", "b" * 64).snapshot.id
            assert first < second and store.latest().id == second
            store._mark_committed(conn_a, first)
    assert store.latest().id == first
    assert [s.id for s in store.snapshots()] == [first, second]


def test_marking_waits_for_a_load_that_is_committing_on_postgresql(postgres_db, demo_dataset):
    """While one load holds the commit-order lock, another load's last step waits for it."""
    store = Store(postgres_db)
    done = []
    with store.engine.connect() as conn_a:
        with conn_a.begin():
            first = store._insert_snapshot(conn_a, demo_dataset, "first.xlsx", "a" * 64)
            store._mark_committed(conn_a, first)
            other = threading.Thread(target=lambda: done.append(
                store.load_dataset(demo_dataset, "second.xlsx", "b" * 64).snapshot.id))
            other.start()
            other.join(timeout=2)
            assert other.is_alive() and not done  # waiting for the lock
    other.join(timeout=60)
    assert done and store.latest().id == done[0]
    with store.engine.connect() as conn:
        seqs = dict(conn.execute(sa.text("SELECT id, commit_seq FROM snapshots")).all())
    assert seqs == {first: 1, done[0]: 2}


def test_commit_seq_increases_with_each_load(db_url, demo_dataset):
    store = Store(db_url)
    ids = [store.load_dataset(demo_dataset, f"{i}.xlsx", sha256=str(i) * 64).snapshot.id for i in range(3)]
    with store.engine.connect() as conn:
        seqs = conn.execute(sa.text("SELECT commit_seq FROM snapshots ORDER BY id")).scalars().all()
    assert seqs == [1, 2, 3]
    assert store.latest().id == ids[-1] and [s.id for s in store.snapshots()] == ids[::-1]


OLD_SNAPSHOTS = """CREATE TABLE snapshots (
    id {} PRIMARY KEY, file_name TEXT NOT NULL, sha256 VARCHAR(64) NOT NULL UNIQUE,
    loaded_at TIMESTAMP NOT NULL, loaded_by TEXT NOT NULL, covers_start DATE, covers_end DATE,
    row_counts TEXT NOT NULL, is_demo BOOLEAN NOT NULL, service_name TEXT NOT NULL)"""
OLD_ROW = ("INSERT INTO snapshots VALUES (7, 'old.xlsx', '{}', '2024-04-01 09:00:00', 'manager', NULL, NULL, "
           "'{{\"Children\": 0}}', {}, '')")


def test_an_old_database_without_commit_seq_is_upgraded(db_url, demo_dataset):
    postgresql = db_url.startswith("postgresql")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(OLD_SNAPSHOTS.format("SERIAL" if postgresql else "INTEGER"))
        conn.exec_driver_sql(OLD_ROW.format("o" * 64, "false" if postgresql else 0))
    engine.dispose()
    store = Store(db_url)
    assert store.latest().id == 7 and store.latest().file_name == "old.xlsx"
    new = store.load_dataset(demo_dataset, "new.xlsx", sha256="n" * 64).snapshot.id
    assert [s.id for s in store.snapshots()] == [new, 7]
    with store.engine.connect() as conn:
        seqs = dict(conn.execute(sa.text("SELECT id, commit_seq FROM snapshots")).all())
    assert seqs == {7: 7, new: 8}


def test_an_old_read_only_file_is_read_in_id_order(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    Store(url).engine.dispose()  # every table, then the snapshots table as an old version made it
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE snapshots")
        conn.execute(OLD_SNAPSHOTS.format("INTEGER"))
        conn.execute(OLD_ROW.format("o" * 64, 0))
        conn.execute(OLD_ROW.replace("(7, 'old.xlsx'", "(8, 'older-id-newer.xlsx'").format("p" * 64, 0))
    store = Store(url, read_only=True)
    assert store.latest().id == 8 and [s.id for s in store.snapshots()] == [8, 7]


# ---------------------------------------------------------------- dropped connections

def test_postgresql_store_reconnects_after_the_server_drops_its_connections(postgres_db, demo_dataset):
    store = Store(postgres_db)
    store.load_dataset(demo_dataset, "april.xlsx", sha256="a" * 64)
    with store.engine.connect() as conn:  # the pool now holds an open connection
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = sa.create_engine(postgres_db, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.exec_driver_sql(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").all()
    admin.dispose()
    assert (backend, True) in killed
    assert store.latest().file_name == "april.xlsx"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
