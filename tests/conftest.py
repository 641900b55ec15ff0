"""Shared fixtures: a real PostgreSQL server, SQLite files, the demo data, clean caches."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- PostgreSQL

def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its binaries as the ``postgres`` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a real, empty PostgreSQL database on a server this fixture starts and stops.

    ``YJ_TEST_POSTGRES_URL`` points at an existing server instead. The README's test command
    installs PostgreSQL, so a missing server is a failure, not a skip.
    """
    given = os.environ.get("YJ_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL server binaries not found: run `bash scripts/test.sh`, "
                    "which installs them (apt package postgresql).")
    base = tempfile.mkdtemp(prefix="yj-pg-")
    os.chmod(base, 0o777)
    data, sock = os.path.join(base, "data"), os.path.join(base, "sock")
    os.makedirs(sock)
    os.chmod(sock, 0o777)
    port = _free_port()
    subprocess.run(_as_postgres_user([initdb, "-D", data, "-U", "yj", "--auth=trust",
                                      "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres_user([pg_ctl, "-D", data, "-o", opts, "-l",
                                      os.path.join(base, "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        import psycopg

        for _ in range(50):
            try:
                with psycopg.connect(f"host=127.0.0.1 port={port} user=yj dbname=postgres",
                                     autocommit=True) as conn:
                    conn.execute("CREATE DATABASE yj_test")
                break
            except psycopg.OperationalError:
                time.sleep(0.2)
        yield f"postgresql+psycopg://yj@127.0.0.1:{port}/yj_test"
    finally:
        subprocess.run(_as_postgres_user([pg_ctl, "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url):
    """The PostgreSQL test database, emptied of every table before the test."""
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return postgres_url


@pytest.fixture
def sqlite_url(tmp_path):
    """URL of a fresh SQLite file (a real file on disk, as the app uses)."""
    return f"sqlite:///{tmp_path / 'yj.db'}"


@pytest.fixture
def sealable_folder(tmp_path):
    """A folder, and a function that makes it (and its files) unwritable for this account.

    chmod 0o555/0o444; as root, whom permissions do not stop, a small tmpfs remounted read-only
    (skipped when this machine does not allow mounting). Undone after the test.
    """
    folder = tmp_path / "sealed"
    folder.mkdir()
    root = os.geteuid() == 0
    if root:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs", str(folder)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"running as root and cannot mount a tmpfs here ({r.stderr.strip() or 'no permission'})")

    def seal():
        if root:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
            return
        for f in folder.iterdir():
            f.chmod(0o444)
        folder.chmod(0o555)

    yield folder, seal
    if root:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
    else:
        folder.chmod(0o755)
        for f in folder.iterdir():
            f.chmod(0o644)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Run a store test against both real databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'yj.db'}"
    return request.getfixturevalue("postgres_db")


# ---------------------------------------------------------------- demo data

#: Small enough for fast tests, large enough that every sheet and group is filled.
TEST_DEMO_CHILDREN = 600

# No background warm-up of the default view (ui/data.py) for every test's database: tests that check it
# start it themselves. Inherited by the servers the browser tests start.
os.environ.setdefault("YJ_WARM_UP", "0")


@pytest.fixture(scope="session")
def demo_dataset():
    """The synthetic demo service (seed 7), as a validated Dataset."""
    from yj_metrics.demo import demo_dataset as make

    return make(seed=7, children=TEST_DEMO_CHILDREN)


@pytest.fixture(scope="session")
def demo_xlsx_path(tmp_path_factory, demo_dataset):
    """The demo dataset written as a real .xlsx workbook."""
    from yj_metrics.writing import dataset_to_xlsx

    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    path.write_bytes(dataset_to_xlsx(demo_dataset))
    return path


# ---------------------------------------------------------------- streamlit

@pytest.fixture(scope="session")
def _demo_store_file(tmp_path_factory, demo_dataset):
    """A real SQLite file holding the demo and its partner protection, kept there by the app's own ``protect``
    command (as ``scripts/run_app.sh`` does before a server starts). Page tests get a copy, so a partner page
    reads the kept protection instead of each test computing it again (``tests/test_protection_kept.py``
    checks that a kept protection hides exactly what a fresh one hides, and that the app computes and keeps
    one when none is kept)."""
    from yj_metrics import cli
    from yj_metrics.store import Store

    path = tmp_path_factory.mktemp("demo-store") / "app.db"
    url = f"sqlite:///{path}"
    store = Store(url)
    store.load_dataset(demo_dataset, "Demo data (synthetic)", sha256="demo-test", is_demo=True)
    store.engine.dispose()
    assert cli.main(["protect", "--db", url]) == 0
    return path


@pytest.fixture
def store_url(tmp_path, monkeypatch, _demo_store_file):
    """The app's database for page tests: a real SQLite file holding the demo (and its kept partner
    protection), named by YJ_DATABASE_URL. Each test has its own copy, made with SQLite's backup API."""
    import sqlite3

    path = tmp_path / "app.db"
    with sqlite3.connect(_demo_store_file) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    url = f"sqlite:///{path}"
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    return url


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Every test starts with empty Streamlit caches (imported only if streamlit is)."""
    import sys

    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
    yield
