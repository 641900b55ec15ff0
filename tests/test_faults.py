"""Storage failures give plain messages: no SQL, no driver message, no row values, on the page
(AppTest, the real page scripts) or from the CLI. Real failures: a full tmpfs, a read-only
mount, a locked SQLite file, a PostgreSQL port nobody listens on."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from yj_metrics.errors import MESSAGES, kind_of, log_detail, plain_message
from yj_metrics.store import Store
from yj_metrics.writing import dataset_to_xlsx

ROOT = Path(__file__).resolve().parents[1]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SQL = re.compile(r"SELECT |INSERT INTO|UPDATE |DELETE FROM|\[SQL|\[parameters|Traceback", re.I)
DRIVER = re.compile(r"sqlite3\.|psycopg|sqlalchemy|OperationalError|IntegrityError", re.I)


def _workbook(seed=11, children=120):
    from yj_metrics.demo import demo_dataset

    ds = demo_dataset(seed=seed, children=children)
    return ds, dataset_to_xlsx(ds)


def _values(ds) -> list[str]:
    """Row values that must never be shown: the workbook's child and outcome ids."""
    return list(ds.children["child_id"].head(50)) + list(ds.outcomes["outcome_id"].head(50))


def _assert_clean(text: str, ds=None, driver_ok: bool = False) -> None:
    assert not SQL.search(text), text[:2000]
    if not driver_ok:
        assert not DRIVER.search(text), text[:2000]
    if ds is not None:
        leaked = [v for v in _values(ds) if v in text]
        assert not leaked, leaked[:5]


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "yj_metrics", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture
def small_mount(tmp_path):
    """A 3 MB tmpfs mounted for the test (needs permission to mount; skipped with the reason otherwise)."""
    where = tmp_path / "mnt"
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0777", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        reason = f"cannot mount a small tmpfs here ({(r.stderr or r.stdout).strip() or 'no permission'})"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    yield where
    for args in (["umount", str(where)], ["umount", "-l", str(where)]):
        if subprocess.run(args, capture_output=True).returncode == 0:
            break


def _fill(folder: Path) -> None:
    """Fill the file system holding ``folder`` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    break
    finally:
        os.close(fd)


def _page(monkeypatch, url: str, page: str):
    """Run a page script for a manager in local mode; stderr from here on is what the page writes."""
    import logging

    from streamlit.testing.v1 import AppTest

    for name, logger in list(logging.root.manager.loggerDict.items()):  # streamlit's log handlers keep the
        if name.startswith("streamlit") and isinstance(logger, logging.Logger):  # stream of an earlier test
            for h in logger.handlers:
                if type(h) is logging.StreamHandler:
                    h.stream = sys.stderr

    monkeypatch.setenv("YJ_DATABASE_URL", url)
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
    at.run()
    return at


def _page_text(at) -> str:
    parts = [e.value for e in at.error] + [w.value for w in at.warning] + [m.value for m in at.markdown]
    parts += [c.value for c in at.caption] + [s.value for s in at.success] + [i.value for i in at.info]
    parts += [str(x.value) for x in at.exception]
    return "\n".join(str(p) for p in parts)


def _release_streamlit():
    import gc
    import logging

    import streamlit as st

    for name, logger in list(logging.root.manager.loggerDict.items()):  # back to the real stderr
        if name.startswith("streamlit") and isinstance(logger, logging.Logger):
            for h in logger.handlers:
                if type(h) is logging.StreamHandler:
                    h.stream = sys.__stderr__

    st.cache_resource.clear()
    st.cache_data.clear()
    gc.collect()


def test_full_disk_cli_and_upload_page(small_mount, tmp_path, monkeypatch, capfd, caplog):
    from yj_metrics.demo import demo_dataset

    url = f"sqlite:///{small_mount / 'yj.db'}"
    Store(url).load_dataset(demo_dataset(seed=7, children=60), "Demo", sha256="demo-full", is_demo=True)
    ds, data = _workbook()
    book = tmp_path / "april.xlsx"
    book.write_bytes(data)
    _fill(small_mount)

    r = _cli("load", book, "--db", url)
    assert r.returncode == 3, r.stderr
    assert MESSAGES["disk_full"] in r.stderr
    _assert_clean(r.stdout + r.stderr, ds)

    capfd.readouterr()  # from here on: what the page writes
    at = _page(monkeypatch, url, "upload")
    at.file_uploader(key="workbook").set_value(("april.xlsx", data, XLSX)).run()
    assert not at.exception
    assert any(MESSAGES["disk_full"] in e.value for e in at.error), _page_text(at)
    _assert_clean(_page_text(at), ds)
    out, err = capfd.readouterr()
    _assert_clean(out + err + caplog.text, ds, driver_ok=True)  # the log names the driver error, no SQL/values
    assert "kind=disk_full" in caplog.text and "upload.py" in caplog.text
    assert len(Store(url).snapshots()) == 1  # nothing half-stored
    _release_streamlit()


def test_read_only_database_cli_and_pages(small_mount, tmp_path, monkeypatch, capfd, caplog):
    """A read-only mount: the database is read, and every change is refused with what to do."""
    from yj_metrics.demo import demo_dataset

    path = small_mount / "yj.db"
    url = f"sqlite:///{path}"
    s = Store(url)
    s.load_dataset(demo_dataset(seed=7, children=60), "Demo", sha256="demo-ro", is_demo=True)
    s.engine.dispose()
    r = subprocess.run(["mount", "-o", "remount,ro", str(small_mount)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ds, data = _workbook()
    book = tmp_path / "april.xlsx"
    book.write_bytes(data)

    r = _cli("load", book, "--db", url)
    assert r.returncode == 3, r.stderr
    assert f"The database file {path} is read-only, so the change was not saved." in r.stderr
    assert "set YJ_DATABASE_URL to a writable database" in r.stderr
    _assert_clean(r.stdout + r.stderr, ds)

    capfd.readouterr()  # from here on: what the page writes
    at = _page(monkeypatch, url, "upload")
    assert not at.exception and not at.file_uploader  # nothing is offered for storing
    assert any(f"{path} is read-only, so no workbook can be stored" in e.value for e in at.error), _page_text(at)
    assert any("database is read-only" in c.value for c in at.caption), _page_text(at)
    _assert_clean(_page_text(at), ds)
    out, err = capfd.readouterr()
    _assert_clean(out + err + caplog.text, ds, driver_ok=True)
    _release_streamlit()


def test_locked_sqlite_gives_the_busy_message_without_values(tmp_path, demo_dataset):
    path = tmp_path / "yj.db"
    url = f"sqlite:///{path}"
    Store(url)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        store = Store(url, sqlite_timeout=0.2)
        with pytest.raises(Exception) as info:
            store.load_dataset(demo_dataset, "april.xlsx", sha256="locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    exc = info.value
    assert kind_of(exc) == "locked"
    assert plain_message(exc) == MESSAGES["locked"]
    detail = log_detail(exc)
    assert "kind=locked" in detail and "database is locked" in detail
    # neither the message, the log line nor the exception text itself carries row values
    for text in (plain_message(exc), detail, str(exc)):
        assert not [v for v in _values(demo_dataset) if v in text]
    _assert_clean(plain_message(exc))
    _assert_clean(detail, driver_ok=True)


def test_unreachable_postgresql_cli():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens here once the socket closes
    r = _cli("snapshots", "--db", f"postgresql+psycopg://yj@127.0.0.1:{port}/yj")
    assert r.returncode == 3
    assert MESSAGES["unreachable"] in r.stderr
    _assert_clean(r.stdout + r.stderr)
