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
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        else:
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
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    yield ctx
    ctx.close()


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running (no 'Running' status widget)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_selector("[data-testid='stMain'] h1, [data-testid='stAlertContentError']", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)
    page.wait_for_timeout(500)


def stable_texts(page, selector: str, timeout_ms: int = 60_000) -> list[str]:
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
