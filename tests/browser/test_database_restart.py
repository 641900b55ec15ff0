"""The real PostgreSQL server stops during a browser session and starts again: the page says so
plainly (no SQL, no driver message, no row values, on the page or on the server's stderr) and
recovers by itself. A PostgreSQL server of its own, so the other tests' database is unaffected."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from tests.browser.conftest import ROOT, VIEWPORT, new_context, screenshot, wait_for_app, wait_for_health
from tests.conftest import _as_postgres_user, _free_port, _pg_bin
from yj_metrics.errors import MESSAGES
from yj_metrics.store import Store

pytestmark = pytest.mark.browser
LEAKS = re.compile(r"SELECT |INSERT INTO|\[SQL|\[parameters|Traceback", re.I)
DRIVER = re.compile(r"psycopg|sqlalchemy|OperationalError|connection refused|port \d+ failed", re.I)


class OwnPostgres:
    def __init__(self):
        initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not self.pg_ctl:
            pytest.fail("PostgreSQL server binaries not found: run `bash scripts/test.sh` (apt package postgresql).")
        self.base = tempfile.mkdtemp(prefix="yj-pg-restart-")
        os.chmod(self.base, 0o777)
        self.data, sock = os.path.join(self.base, "data"), os.path.join(self.base, "sock")
        os.makedirs(sock)
        os.chmod(sock, 0o777)
        self.port = _free_port()
        subprocess.run(_as_postgres_user([initdb, "-D", self.data, "-U", "yj", "--auth=trust", "-E", "UTF8",
                                          "--no-sync"]), check=True, capture_output=True)
        self.opts = f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.start()
        import psycopg

        for _ in range(50):
            try:
                with psycopg.connect(f"host=127.0.0.1 port={self.port} user=yj dbname=postgres", autocommit=True) as c:
                    c.execute("CREATE DATABASE yj_restart")
                break
            except psycopg.OperationalError:
                time.sleep(0.2)
        self.url = f"postgresql+psycopg://yj@127.0.0.1:{self.port}/yj_restart"

    def start(self):
        subprocess.run(_as_postgres_user([self.pg_ctl, "-D", self.data, "-o", self.opts, "-l",
                                          os.path.join(self.base, "log"), "-w", "start"]), check=True,
                       capture_output=True)

    def stop(self, mode="fast"):
        subprocess.run(_as_postgres_user([self.pg_ctl, "-D", self.data, "-m", mode, "-w", "stop"]),
                       capture_output=True)

    def remove(self):
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def own_postgres():
    pg = OwnPostgres()
    yield pg
    pg.remove()


def test_postgres_stopped_and_restarted_during_a_session(own_postgres, demo_dataset, browser, tmp_path):
    Store(own_postgres.url).load_dataset(demo_dataset, "Demo data (synthetic)", sha256="demo-restart", is_demo=True)
    port = _free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = {**os.environ, "YJ_DATABASE_URL": own_postgres.url, "YJ_ROLE": "manager", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--secrets.files", str(tmp_path / "no-secrets.toml")],
        cwd=ROOT, env=env, stdout=open(out, "w"), stderr=open(err, "w"))
    url = f"http://127.0.0.1:{port}"
    ctx = new_context(browser, viewport=VIEWPORT)
    try:
        assert wait_for_health(url, proc), f"streamlit did not start; see {err}"
        page = ctx.new_page()
        page.goto(url)
        wait_for_app(page)
        page.get_by_role("heading", name="Board overview").wait_for()
        assert "Local mode: no sign-in." in page.locator("[data-testid='stMain']").inner_text()

        own_postgres.stop()
        page.get_by_role("link", name="KPI detail").click()
        page.get_by_text(MESSAGES["unreachable"]).wait_for()
        page.get_by_text("Waiting for the database").wait_for()
        screenshot(page, "database_unreachable")
        text = page.locator("[data-testid='stApp']").inner_text()
        assert not LEAKS.search(text) and not DRIVER.search(text), text
        assert not [c for c in demo_dataset.children["child_id"] if c in text]

        own_postgres.start()  # no click, no reload: the page notices by itself
        page.get_by_role("heading", name="KPI detail").wait_for()
        wait_for_app(page)
        assert page.get_by_text(MESSAGES["unreachable"]).count() == 0
        page.get_by_text("Break down by").wait_for()
    finally:
        ctx.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    logged = err.read_text() + out.read_text()
    assert "kind=unreachable" in logged  # the technical detail is in the log...
    assert not LEAKS.search(logged), logged[-3000:]  # ...without SQL or row values
    assert not [c for c in demo_dataset.children["child_id"] if c in logged]
