"""The Access and audit page in Chromium, as a manager: the role mapping and the audit log are shown, every
control is big enough to hit, and axe-core finds nothing serious or critical (WCAG 2.2 A and AA)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from yj_metrics.access import make_rule
from yj_metrics.store import Store

pytestmark = pytest.mark.browser

RULES = [make_rule("group", "yj-managers", "manager"), make_rule("group", "yj-board", "board"),
         make_rule("domain", "police.example.uk", "partner", "Police")]


def _serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page (WCAG 2.2 A and AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _settled_grid(page, rows: int) -> None:
    """Both tables are drawn and the log's caption counts ``rows`` entries."""
    wait_for_app(page)
    page.get_by_text(re.compile(rf"^{rows:,} entries, newest first")).wait_for()
    page.locator("[data-testid='stDataFrame']").nth(1).locator("canvas").first.wait_for()
    wait_for_app(page)


def test_access_and_audit_page_is_accessible(start_server, context):
    server = start_server("manager")
    store = Store(server.db_url)
    store.replace_role_rules(RULES)
    now = dt.datetime.now(dt.timezone.utc)
    for i, (email, action) in enumerate([("chair@council.example.uk", "sign_in"),
                                         ("officer@police.example.uk", "access_refused"),
                                         ("manager@council.example.uk", "download")]):
        store.append_audit(action, subject=f"s-{i}", email=email, role="board", detail={"page": "Upload"},
                           at=now - dt.timedelta(hours=i + 1))
    page = context.new_page()
    page.goto(f"{server.url}/audit")
    page.get_by_role("heading", name="Audit log").wait_for()
    _settled_grid(page, len(store.audit_entries(since=(now - dt.timedelta(days=30)).date(), until=now.date())))
    screenshot(page, "audit_page_manager")

    # the command IT runs reads at full contrast, in a code block of its own
    assert page.locator("[data-testid='stCode']").filter(has_text="python -m yj_metrics roles load roles.csv").count() == 1
    # the date range's day, month and year boxes are targets of at least 24 by 24 px (WCAG 2.2, 2.5.8)
    boxes = [page.locator("[data-testid='stDateInput'] [role='spinbutton']").nth(i).bounding_box()
             for i in range(page.locator("[data-testid='stDateInput'] [role='spinbutton']").count())]
    assert len(boxes) == 6 and all(b["width"] >= 24 and b["height"] >= 24 for b in boxes), boxes
    assert not _serious(page)

    # still so once a person is chosen (the log narrows; the page runs again)
    person = page.get_by_role("combobox", name="Person")
    person.scroll_into_view_if_needed()  # a popover opened while the page scrolls closes again
    person.focus()
    person.press("ArrowDown")  # the keyboard way to open the list
    page.get_by_role("option", name="officer@police.example.uk").click()
    _settled_grid(page, 1)
    assert not _serious(page)
