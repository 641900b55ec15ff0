"""The board overview on a projector: one screen at 1920x1080, labels whole, accessible in both modes."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from yj_metrics.indicators import HEADLINE, INDICATORS

pytestmark = pytest.mark.browser

ROWS = ".st-key-scorecard tbody tr"
LABELS = ".st-key-scorecard tbody tr td:first-child a"


def _open(browser, url: str, width: int, height: int):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.goto(url)
    wait_for_app(page)
    page.locator(ROWS).nth(len(HEADLINE) - 1).wait_for(timeout=60_000)
    wait_for_app(page)
    return ctx, page


def _serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page (WCAG 2.2 A and AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _labels_whole(page) -> None:
    labels = page.locator(LABELS)
    assert labels.all_inner_texts() and len(labels.all_inner_texts()) == len(HEADLINE)
    assert sorted(labels.all_inner_texts()) == sorted(INDICATORS[i].label for i in HEADLINE)
    cut = page.evaluate("""sel => [...document.querySelectorAll(sel)].flatMap(a => [a, a.closest('td')])
        .filter(e => e.scrollWidth > e.clientWidth + 1 || getComputedStyle(e).textOverflow === 'ellipsis'
                     && e.scrollWidth > e.clientWidth).map(e => e.textContent)""", LABELS)
    assert not cut, cut


def test_presentation_mode_fits_one_projector_screen(start_server, browser):
    server = start_server("board")
    ctx, page = _open(browser, f"{server.url}/?present=1", 1920, 1080)
    try:
        screenshot(page, "projector_1920")
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        assert not page.locator("[data-testid='stHeader']").is_visible()
        assert page.get_by_role("button", name="Leave presentation mode").is_visible()
        assert page.get_by_role("heading", name="Board pack").count() == 0
        view = page.viewport_size
        rows = page.locator(ROWS)
        assert rows.count() == len(HEADLINE)
        for i in range(rows.count()):
            box = rows.nth(i).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= view["height"], (i, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"], (i, box)
        assert page.evaluate("window.scrollY") == 0
        tiles = page.locator(".st-key-tiles [data-testid='stMetric']")
        counts = {}
        for t in tiles.all():
            label = t.locator("[data-testid='stMetricLabel']").inner_text()
            counts[label] = int(t.locator("[data-testid='stMetricValue']").inner_text())
            box = t.bounding_box()
            assert box["y"] + box["height"] <= view["height"]
        rag = [n for label, n in counts.items() if re.match(r"^(● Green|▲ Amber|■ Red|No target)", label)]
        assert len(rag) == 4 and sum(rag) == len(HEADLINE), counts
        _labels_whole(page)
        assert not _serious(page)

        page.get_by_role("button", name="Leave presentation mode").click()
        page.get_by_role("heading", name="Board pack").wait_for(timeout=60_000)
        assert "present" not in page.url
        assert page.locator("[data-testid='stSidebar']").is_visible()
    finally:
        ctx.close()


def test_overview_at_1366_labels_whole_and_accessible(start_server, browser):
    server = start_server("board")
    ctx, page = _open(browser, server.url, 1366, 768)
    try:
        screenshot(page, "overview_1366")
        _labels_whole(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert not _serious(page)
        link = page.locator(LABELS).filter(has_text=INDICATORS["kpi2_ete"].label)
        assert "kpi_detail?" in link.get_attribute("href") and "indicator=kpi2_ete" in link.get_attribute("href")

        page.get_by_role("button", name="Presentation mode").click()
        page.wait_for_function("() => location.search.includes('present=1')")
        page.get_by_role("button", name="Leave presentation mode").wait_for(timeout=60_000)
        wait_for_app(page)
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        _labels_whole(page)
    finally:
        ctx.close()


def test_the_detail_link_opens_the_indicator(start_server, browser):
    server = start_server("board")
    ctx, page = _open(browser, f"{server.url}/?present=1", 1920, 1080)
    try:
        with ctx.expect_page() as opened:
            page.locator(LABELS).filter(has_text=INDICATORS["kpi2_ete"].label).click()
        detail = opened.value
        wait_for_app(detail)
        detail.get_by_role("heading", name="KPI detail").wait_for()
        assert "indicator=kpi2_ete" in detail.url and "present" not in detail.url
    finally:
        ctx.close()
