"""At a laptop's 1366x768 in Chromium: every message of the Upload page's problem list can be read in full,
and the Settings page's targets are a form of labelled number inputs; axe-core finds nothing serious."""
from __future__ import annotations

import pytest

from tests.broken_workbooks import broken_workbooks
from tests.browser.conftest import screenshot, wait_for_app
from yj_metrics.store import Store
from yj_metrics.validation import validate_bytes

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page (WCAG 2.2 A and AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


#: For each cell of the problem tables' last column: its text, and whether any of it is hidden: the cell
#: overflows itself or its table's scroller, or ends past the window's right edge.
_MESSAGE_CELLS = """() => [...document.querySelectorAll('[data-testid="stTable"] table')].flatMap(t =>
    [...t.querySelectorAll('tbody tr')].map(tr => {
        const td = tr.lastElementChild, r = td.getBoundingClientRect();
        let clipped = td.scrollWidth > td.clientWidth + 1 || r.right > window.innerWidth + 1 || r.left < 0;
        for (let e = td.parentElement; e && e !== document.body; e = e.parentElement) {
            const s = getComputedStyle(e), b = e.getBoundingClientRect();
            if ((s.overflowX !== 'visible') && (r.right > b.right + 1 || r.left < b.left - 1)) clipped = true;
        }
        return {text: td.innerText, clipped, width: r.width};
    }))"""


def test_every_problem_message_is_readable_at_1366(start_server, context):
    case = broken_workbooks()[-1]  # many problems planted at once, on every sheet
    expected = [p.message for p in validate_bytes(case.xlsx, "many_problems.xlsx").problems]
    assert len(expected) >= 15
    server = start_server("manager")
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)
    page.locator(".st-key-workbook input[type='file']").set_input_files(
        {"name": "many_problems.xlsx", "mimeType": XLSX, "buffer": case.xlsx})
    page.get_by_text("Nothing was stored").first.wait_for(timeout=60_000)
    wait_for_app(page)
    cells = page.evaluate(_MESSAGE_CELLS)
    shown = [c["text"].strip() for c in cells]
    assert sorted(shown) == sorted(expected)  # every message, word for word, once
    assert not [c["text"] for c in cells if c["clipped"]]
    assert min(c["width"] for c in cells) > 300  # a column wide enough to read, not a sliver of wrapped words
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    page.locator("[data-testid='stTable']").first.scroll_into_view_if_needed()
    screenshot(page, "upload_problem_list_1366")
    assert _serious(page) == []
    assert len(Store(server.db_url).snapshots()) == 1  # nothing stored


def test_settings_targets_are_labelled_number_inputs(start_server, context):
    server = start_server("manager")
    page = context.new_page()
    page.goto(f"{server.url}/settings")
    wait_for_app(page)
    assert page.locator("[data-testid='stForm'] canvas").count() == 0  # no grid in the form
    green = page.get_by_label("KPI 9 Serious violence: green at or below (per 10,000 children)")
    red = page.get_by_label("KPI 9 Serious violence: red at or above (per 10,000 children)")
    green.click()
    page.keyboard.type("2.5")  # the first keystroke counts
    red.click()
    page.keyboard.type("4")
    for label in ("KPI 1 Suitable accommodation: green at or above (%)",
                  "KPI 1 Suitable accommodation: red at or below (%)"):  # cleared: KPI 1 gets no target
        page.get_by_label(label).fill("")
    green.scroll_into_view_if_needed()
    screenshot(page, "settings_targets_1366")
    assert _serious(page) == []
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Settings saved").wait_for(timeout=60_000)
    t = Store(server.db_url).get_settings().targets["kpi9_serious_violence"]
    assert (t.green, t.red, t.direction) == (2.5, 4.0, "lower")
    assert "kpi1_accommodation" not in Store(server.db_url).get_settings().targets


def test_data_quality_shows_the_orders_closed_in_the_month(start_server, context, demo_dataset):
    """The demo, then the same a month on with 25 open orders closed: the page says 25 closed; axe passes."""
    import pandas as pd

    server = start_server("manager")
    iv = demo_dataset.interventions
    open_ = iv[iv["end_date"].isna() & ~iv["intervention_type"].isin(["Prevention", "Turnaround", "Bail supervision"])]
    closing = set(open_["intervention_id"][:25])
    end = pd.Timestamp(demo_dataset.covers[1]) + pd.Timedelta(days=10)
    later = demo_dataset.with_frames(interventions=iv.assign(
        end_date=iv["end_date"].where(~iv["intervention_id"].isin(closing), end)))
    Store(server.db_url).load_dataset(later, "next_month.xlsx", sha256="c" * 64)
    page = context.new_page()
    page.goto(f"{server.url}/data_quality")
    wait_for_app(page)
    says = page.get_by_text("25 closed, 0 opened")
    says.wait_for(timeout=60_000)
    says.scroll_into_view_if_needed()
    page.wait_for_timeout(2000)  # the grids draw after the text
    screenshot(page, "data_quality_what_changed_1366")
    assert _serious(page) == []
