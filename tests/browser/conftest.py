"""Real-browser fixtures: a fresh `streamlit run app.py` server per test and headless Chromium."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}
# How long the app may take to reach a state on a loaded machine (two cores shared by several servers and
# browsers). A ceiling against a hang, never a pause: every wait is for a condition (a selector, the
# script's run state, a URL, a download) and returns as soon as it holds.
APP_TIMEOUT = 180_000  # ms
SERVER_START_S = 120
# the script has run to its end (Streamlit marks the app element with its run state)
IDLE_JS = "() => document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState === 'notRunning'"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, proc: subprocess.Popen, db_url: str):
        self.url, self.proc, self.db_url = url, proc, db_url


@pytest.fixture
def start_server(tmp_path, demo_dataset):
    """Factory: a fresh server (its own database holding the demo) for a role; stopped afterwards."""
    from yj_metrics.store import Store

    servers = []

    def start(role: str = "manager", env: dict | None = None) -> Server:
        db = f"sqlite:///{tmp_path / f'{role}-{len(servers)}.db'}"
        Store(db).load_dataset(demo_dataset, "Demo data (synthetic)", sha256="demo-browser", is_demo=True)
        port = _free_port()
        env = {**os.environ, "YJ_DATABASE_URL": db, "YJ_ROLE": role, "PYTHONPATH": str(ROOT), **(env or {})}
        log = open(tmp_path / f"server-{port}.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             # local mode even on a machine whose .streamlit/secrets.toml configures sign-in
             "--secrets.files", str(tmp_path / "no-secrets.toml")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        if not wait_for_health(url, proc):
            proc.kill()
            pytest.fail(f"streamlit did not start; see {log.name}")
        server = Server(url, proc, db)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.proc.terminate()
        try:
            s.proc.wait(10)
        except subprocess.TimeoutExpired:
            s.proc.kill()


def wait_for_health(url: str, proc: subprocess.Popen | None = None, seconds: float = SERVER_START_S) -> bool:
    """Whether the server at ``url`` answered its health check within ``seconds`` (False at once if
    ``proc`` has exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.25)
    return False


def new_context(browser, **kwargs):
    """A browser context whose every wait (locators, clicks, navigation, downloads) may take up to
    APP_TIMEOUT for its condition, rather than Playwright's 30 s default."""
    ctx = browser.new_context(**kwargs)
    ctx.set_default_timeout(APP_TIMEOUT)
    ctx.set_default_navigation_timeout(APP_TIMEOUT)
    return ctx


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium not found at /usr/bin/chromium: run `bash scripts/test.sh`, which installs it.")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = new_context(browser, viewport=VIEWPORT, accept_downloads=True)
    yield ctx
    ctx.close()


def wait_for_app(page, timeout: float = APP_TIMEOUT) -> None:
    """Wait until the script has finished running (its run state, no 'Running' status widget, nothing stale).
    Then half a second for a rerun a click has just asked for to start, and its end if it did."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_selector("[data-testid='stMain'] h1, [data-testid='stAlertContentError']", timeout=timeout)
    idle = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            " && !document.querySelector('[data-stale=\"true\"]') && (" + IDLE_JS + ")()")
    page.wait_for_function(idle, timeout=timeout)
    page.wait_for_timeout(500)
    page.wait_for_function(idle, timeout=timeout)


def stable_texts(page, selector: str, timeout_ms: int = APP_TIMEOUT) -> list[str]:
    """The texts of ``selector`` once two reads 700 ms apart agree (the rerun has finished)."""
    previous, waited = None, 0
    while waited < timeout_ms:
        wait_for_app(page)
        current = page.locator(selector).all_inner_texts()
        if current and current == previous:
            return current
        previous = current
        page.wait_for_timeout(700)
        waited += 700
    raise AssertionError(f"{selector} never settled")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
