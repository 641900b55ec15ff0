"""Real sign-in in a real browser: a local OpenID Connect provider (oidc-provider-mock), one
dashboard server, and the manager, the board and a partner signed in at the same time in
separate Chromium contexts. Every action leaves an audit row; the Audit page shows them."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from tests.browser.conftest import (APP_TIMEOUT, ROOT, VIEWPORT, _free_port, new_context, screenshot, wait_for_app,
                                    wait_for_health)
from yj_metrics.access import make_rule
from yj_metrics.store import Store

pytestmark = pytest.mark.browser

COOKIE_SECRET = "test-only-cookie-secret-9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c1e"
USERS = {
    # sub: claims in the identity token
    "manager-1": {"email": "manager@council.example.uk", "name": "Morgan Manager", "groups": ["yj-managers"]},
    "board-1": {"email": "chair@council.example.uk", "name": "Casey Chair", "groups": ["yj-board"]},
    "partner-1": {"email": "officer@police.example.uk", "name": "Pat Police"},
    "stranger-1": {"email": "someone@elsewhere.example", "name": "Sam Stranger"},
}
RULES = [make_rule("group", "yj-managers", "manager"), make_rule("group", "yj-board", "board"),
         make_rule("domain", "police.example.uk", "partner", "Police")]
LEAKS = re.compile(r"Traceback|SELECT |INSERT INTO|sqlalchemy|psycopg|\[SQL", re.I)


@pytest.fixture(scope="module")
def idp():
    """A real OpenID Connect provider on localhost with one user per role and an unmapped one."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on localhost, for the test only
    from oidc_provider_mock import User, run_server_in_thread

    with run_server_in_thread(user_claims=[User(sub=s, claims=c) for s, c in USERS.items()]) as server:
        yield f"http://localhost:{server.server_port}"


class SignInServer:
    def __init__(self, url, proc, db_url, log_path):
        self.url, self.proc, self.db_url, self.log_path = url, proc, db_url, log_path

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_signin_server(idp_url: str, db_url: str, folder, env_extra: dict | None = None,
                        port: int | None = None) -> SignInServer:
    """`streamlit run app.py` with [auth] configured (a secrets file in ``folder``), like a deployment."""
    port = port or _free_port()
    secrets = folder / f"secrets-{port}.toml"
    secrets.write_text(f"""[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "yj-dashboard"
client_secret = "test-client-secret"
server_metadata_url = "{idp_url}/.well-known/openid-configuration"
""")
    # YJ_ROLE=manager must be ignored once sign-in is configured
    env = {**os.environ, "YJ_DATABASE_URL": db_url, "YJ_ROLE": "manager", "PYTHONPATH": str(ROOT),
           "AUTHLIB_INSECURE_TRANSPORT": "1", **(env_extra or {})}
    log_path = folder / f"server-{port}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets)],
        cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    if not wait_for_health(url, proc):
        proc.kill()
        pytest.fail(f"streamlit did not start; see {log_path}")
    return SignInServer(url, proc, db_url, log_path)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory, demo_dataset):
    path = tmp_path_factory.mktemp("signin") / "yj.db"
    url = f"sqlite:///{path}"
    store = Store(url)
    store.load_dataset(demo_dataset, "Demo data (synthetic)", sha256="demo-signin", is_demo=True)
    store.replace_role_rules(RULES)
    return url


@pytest.fixture(scope="module")
def server(idp, db_url, tmp_path_factory):
    s = start_signin_server(idp, db_url, tmp_path_factory.mktemp("server"))
    yield s
    s.stop()


def sign_in(page, server, sub: str) -> None:
    """Through the provider's form and back; returns once the app has finished its first run for them
    (every wait is for a state of the page, with the context's APP_TIMEOUT as a ceiling)."""
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's sign-in form
    page.wait_for_url(re.compile(re.escape(server.url) + r"/?(\?.*)?$"))
    wait_for_app(page)


def sidebar(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text().replace("\u2060", "")


def main_text(page) -> str:
    """The page's text as read (without the invisible word joiners that keep addresses from becoming links)."""
    return page.locator("[data-testid='stMain']").inner_text().replace("\u2060", "")


def wait_for_audit(db_url, timeout=APP_TIMEOUT / 1000, **match) -> list[dict]:
    """Audit rows matching every key (``detail_contains`` matches inside the JSON detail)."""
    want = match.pop("detail_contains", None)
    deadline = time.time() + timeout
    while True:
        log = Store(db_url).audit_entries()
        rows = [r for r in log.to_dict("records") if all(r[k] == v for k, v in match.items())
                and (want is None or want in r["detail"])]
        if rows or time.time() > deadline:
            return rows
        time.sleep(0.3)


def test_three_roles_at_once_on_one_server(server, browser, tmp_path):
    pages = {}
    contexts = []
    for sub in ("manager-1", "board-1", "partner-1"):  # three people, three browsers, one server
        ctx = new_context(browser, viewport=VIEWPORT, accept_downloads=True)
        contexts.append(ctx)
        pages[sub] = ctx.new_page()
        sign_in(pages[sub], server, sub)
    m, b, p = pages["manager-1"], pages["board-1"], pages["partner-1"]
    try:
        for page, who, role in ((m, "manager@council.example.uk", "Service manager"),
                                (b, "chair@council.example.uk", "Board member"),
                                (p, "officer@police.example.uk", "Partner (Police)")):
            page.get_by_role("heading", name="Board overview").wait_for()
            text = sidebar(page)
            assert who in text and role in text, text
            assert "Local mode" not in main_text(page)
        # each sees only their own role's pages: YJ_ROLE=manager on the server gives nobody anything
        for link in ("Upload", "Settings", "Access and audit", "Data quality"):
            assert m.get_by_role("link", name=link).count() == 1
        assert b.get_by_role("link", name="Data quality").count() == 1
        for link in ("Upload", "Settings", "Access and audit"):
            assert b.get_by_role("link", name=link).count() == 0
        for link in ("Upload", "Settings", "Access and audit", "Data quality"):
            assert p.get_by_role("link", name=link).count() == 0
        assert "protected figure" in main_text(p)  # the partner's explanation of the marker
        assert "protected figure" not in main_text(m) and "protected figure" not in main_text(b)
        screenshot(p, "signin_partner_overview")

        # refusals, each written to the audit log with the person and organisation
        b.goto(f"{server.url}/upload")
        wait_for_app(b)
        b.get_by_text("Access denied").wait_for()
        assert b.locator("input[type='file']").count() == 0
        p.goto(f"{server.url}/data_quality")
        wait_for_app(p)
        p.get_by_text("Access denied").wait_for()
        p.goto(f"{server.url}/audit")
        wait_for_app(p)
        p.get_by_text("Access denied").wait_for()
        assert "Audit log" not in main_text(p)

        # child-level rows: the manager sees them (audited with pseudonymous ids); the others never
        for page in (b, p):
            page.goto(f"{server.url}/kpi_detail?indicator=fte_rate")
            wait_for_app(page)
            page.get_by_text("Break down by").wait_for()
            assert page.get_by_text("Children behind this figure").count() == 0
        m.goto(f"{server.url}/kpi_detail?indicator=fte_rate")
        wait_for_app(m)
        m.get_by_text("Children behind this figure (managers only)").click()
        m.locator("[data-testid='stExpander'] [data-testid='stDataFrame']").wait_for()
        with m.expect_download() as d:
            m.get_by_role("button", name="Download this table (CSV)").click()
        assert d.value.suggested_filename.endswith(".csv")
        m.goto(f"{server.url}/upload")
        wait_for_app(m)
        with m.expect_download() as d:
            m.get_by_role("button", name="Download the blank template").click()
        assert d.value.suggested_filename == "yj_workbook_template.xlsx"
        b.goto(f"{server.url}/data_quality")  # the board may see data quality
        wait_for_app(b)
        b.get_by_role("heading", name="Data quality").wait_for()

        # the audit log has a row for each of those actions, with who did it
        for sub, email, role in (("manager-1", "manager@council.example.uk", "manager"),
                                 ("board-1", "chair@council.example.uk", "board"),
                                 ("partner-1", "officer@police.example.uk", "partner")):
            assert wait_for_audit(server.db_url, action="sign_in", subject=sub, email=email, role=role)
        refused = wait_for_audit(server.db_url, action="access_refused", subject="partner-1",
                                 detail_contains='"page": "Data quality"')
        assert refused and refused[0]["organisation"] == "Police"
        assert wait_for_audit(server.db_url, action="access_refused", subject="board-1", detail_contains="Upload")
        views = wait_for_audit(server.db_url, action="view_child_rows", subject="manager-1")
        assert views and views[0]["snapshot_id"] == Store(server.db_url).latest().id
        ids = json.loads(views[0]["detail"])["child_ids"]
        assert ids and all(re.fullmatch(r"[A-Z0-9-]+", i) for i in ids)  # pseudonymous ids only
        assert not wait_for_audit(server.db_url, timeout=0, action="view_child_rows", role="board")
        assert wait_for_audit(server.db_url, action="download", subject="manager-1", detail_contains='"kind": "csv"')
        assert wait_for_audit(server.db_url, action="download", subject="manager-1",
                              detail_contains='"kind": "template"')

        # the manager's Audit page shows them, and filters by person
        m.goto(f"{server.url}/audit")
        wait_for_app(m)
        m.get_by_role("heading", name="Audit log").wait_for()
        m.get_by_text(re.compile(r"^[\d,]+ entries, newest first")).wait_for()
        m.locator("[data-testid='stDataFrame']").last.locator("canvas").first.wait_for()  # the grid is drawn
        screenshot(m, "audit_page")
        assert "yj-managers" in main_text(m) or m.locator("[data-testid='stDataFrame']").count() >= 2
        person = m.get_by_role("combobox", name="Person")
        person.scroll_into_view_if_needed()  # a list opened while the page scrolls closes again
        person.focus()
        person.press("ArrowDown")  # opens the list
        m.get_by_role("option", name="officer@police.example.uk").click()
        # the log, rerun for the partner alone, counts their entries (of the last 30 days: all of them)
        n_partner = len(Store(server.db_url).audit_entries(person="officer@police.example.uk"))
        m.get_by_text(re.compile(rf"^{n_partner:,} entries, newest first")).wait_for()
        wait_for_app(m)
        with m.expect_download() as d:
            m.get_by_role("button", name="Download the audit log (CSV)").click()
        target = tmp_path / d.value.suggested_filename
        d.value.save_as(target)
        body = target.read_text()
        assert "officer@police.example.uk" in body and "manager@council.example.uk" not in body.split("\n", 1)[1]
        assert not LEAKS.search(server.log())
    finally:
        for ctx in contexts:
            ctx.close()


def test_sign_out_and_an_unmapped_person(server, browser):
    ctx = new_context(browser, viewport=VIEWPORT)
    try:
        page = ctx.new_page()
        sign_in(page, server, "board-1")
        page.get_by_role("heading", name="Board overview").wait_for()
        page.get_by_role("button", name="Sign out").click()
        # the provider asks to confirm ending its session, then sends the browser back
        page.wait_for_url(re.compile(r"end_session"))
        page.get_by_role("button").first.click()
        page.wait_for_url(re.compile(re.escape(server.url)))
        wait_for_app(page)
        page.get_by_role("button", name="Sign in").wait_for()
        assert "Board overview" not in main_text(page)
        assert wait_for_audit(server.db_url, action="sign_out", subject="board-1")
        page.goto(f"{server.url}/kpi_detail")  # no way back in without signing in again
        wait_for_app(page)
        page.get_by_role("button", name="Sign in").wait_for()
        assert page.locator("[data-testid='stPlotlyChart']").count() == 0

        sign_in(page, server, "stranger-1")
        page.get_by_text("Ask your service manager for access").wait_for()
        assert page.locator("[data-testid='stPlotlyChart']").count() == 0
        assert page.get_by_role("link", name="KPI detail").count() == 0
        assert "Board overview" not in main_text(page)
        page.goto(f"{server.url}/reoffending")
        wait_for_app(page)
        page.get_by_text("Ask your service manager for access").wait_for()
        screenshot(page, "signin_unmapped")
        rows = wait_for_audit(server.db_url, action="access_refused", subject="stranger-1")
        assert rows and rows[0]["email"] == "someone@elsewhere.example" and rows[0]["role"] == ""
    finally:
        ctx.close()


def test_partner_deep_links_on_a_fresh_server(idp, db_url, browser, tmp_path):
    """A partner signed in (identity cookie in the browser) whose first request to a fresh server
    (restarted on the same address) is a deep link to a page they may not open."""
    ctx = new_context(browser, viewport=VIEWPORT)
    first = start_signin_server(idp, db_url, tmp_path)
    fresh = None
    try:
        page = ctx.new_page()
        sign_in(page, first, "partner-1")
        page.get_by_role("heading", name="Board overview").wait_for()
        first.stop()
        port = int(first.url.rsplit(":", 1)[1])
        fresh = start_signin_server(idp, db_url, tmp_path, port=port)  # a new process, same address
        page.goto(f"{fresh.url}/upload")  # the fresh server's very first request
        wait_for_app(page)
        page.get_by_text("Access denied").wait_for()
        assert page.locator("input[type='file']").count() == 0
        assert page.get_by_text("Download the blank template").count() == 0
        assert "signed in as officer@police.example.uk, a partner" in main_text(page)
        for path in ("kpi_detail?indicator=fte_rate", "reoffending"):
            page.goto(f"{fresh.url}/{path}")
            wait_for_app(page)
            page.get_by_text("Break down by").wait_for()
            assert page.get_by_text("managers only").count() == 0
        assert wait_for_audit(db_url, action="access_refused", subject="partner-1", detail_contains="Upload")
        assert not LEAKS.search(fresh.log())
    finally:
        ctx.close()
        first.stop()
        if fresh:
            fresh.stop()
