"""The board overview on a projector: one screen at 1920x1080 whatever fonts the laptop has, labels whole,
accessible in both modes; an indicator opens in the same tab, still presenting, and Back returns."""
from __future__ import annotations

import os
import re

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, new_context, screenshot, wait_for_app
from yj_metrics.indicators import HEADLINE, INDICATORS

pytestmark = pytest.mark.browser

ROWS = ".st-key-scorecard tbody tr"
LABELS = ".st-key-scorecard tbody tr td:first-child a"
# A laptop without the fonts of this test machine: fontconfig sees only the Liberation fonts (the metric
# twins of Arial, Times New Roman and Courier New), so no DejaVu, whose block characters the old text
# sparklines fell back on.
LIBERATION_ONLY = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <alias><family>sans-serif</family><prefer><family>Liberation Sans</family></prefer></alias>
  <alias><family>serif</family><prefer><family>Liberation Serif</family></prefer></alias>
  <alias><family>monospace</family><prefer><family>Liberation Mono</family></prefer></alias>
</fontconfig>
"""
LIBERATION_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation")


@pytest.fixture(scope="module")
def laptop_browser(browser, tmp_path_factory):
    """Headless Chromium (the same Playwright) that can use the Liberation fonts only."""
    fonts = next((d for d in LIBERATION_DIRS if os.path.isdir(d)), None)
    if fonts is None:
        pytest.fail("the Liberation fonts are needed (apt-get install fonts-liberation2)")
    folder = tmp_path_factory.mktemp("fontconfig")
    conf = folder / "fonts.conf"
    conf.write_text(LIBERATION_ONLY.format(fonts=fonts, cache=folder / "cache"))
    b = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                    env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    yield b
    b.close()


@pytest.fixture(params=["installed fonts", "Liberation fonts only"])
def any_fonts_browser(request):
    """(name, browser): the test machine's Chromium with its installed fonts, then one with the Liberation
    fonts only."""
    return request.param, request.getfixturevalue("browser" if request.param == "installed fonts"
                                                  else "laptop_browser")


def _system_fonts(page, selectors: list[str]) -> dict[str, list[str]]:
    """Every element under ``selectors`` whose own text Chromium draws (partly) with an installed font
    rather than a web font the app serves (Chromium's own record of the fonts it used, per element)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    found = {}
    for sel in selectors:
        for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": f"{sel}, {sel} *"})["nodeIds"]:
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            system = [f["familyName"] for f in fonts if not f["isCustomFont"]]
            if system:
                text = cdp.send("DOM.resolveNode", {"nodeId": node})["object"]
                found.setdefault(", ".join(system), []).append(cdp.send("Runtime.callFunctionOn", {
                    "objectId": text["objectId"], "functionDeclaration": "function() { return this.textContent }",
                    "returnByValue": True})["result"]["value"][:40])
    cdp.detach()
    return found


def _sans_serif_font(page) -> str:
    """The installed font Chromium uses for plain sans-serif text on this machine."""
    page.evaluate("""() => { const s = document.createElement('span'); s.id = 'font-probe';
        s.style.fontFamily = 'sans-serif'; s.textContent = 'Board'; document.body.append(s); }""")
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#font-probe"})["nodeId"]
    cdp.send("CSS.enable")
    family = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"][0]["familyName"]
    page.evaluate("document.getElementById('font-probe').remove()")
    cdp.detach()
    return family


def _wrapped_cells(page) -> list[str]:
    """Scorecard cells (header included) whose text runs over more than one line."""
    return page.evaluate("""sel => [...document.querySelectorAll(sel)].filter(c => {
        const s = getComputedStyle(c);
        const inner = c.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
        return inner > 1.5 * parseFloat(s.lineHeight); }).map(c => c.textContent)""",
                         ".st-key-scorecard th, .st-key-scorecard td")


def _open(browser, url: str, width: int, height: int):
    ctx = new_context(browser, viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.goto(url)
    wait_for_app(page)
    page.locator(ROWS).nth(len(HEADLINE) - 1).wait_for()
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


def test_presentation_mode_fits_one_projector_screen(start_server, any_fonts_browser):
    fonts, browser = any_fonts_browser
    server = start_server("board")
    ctx, page = _open(browser, f"{server.url}/?present=1", 1920, 1080)
    try:
        installed = _sans_serif_font(page)
        if fonts == "Liberation fonts only":  # the restricted font set is the one in use
            assert installed == "Liberation Sans"
        screenshot(page, f"projector_1920_{fonts.replace(' ', '_')}")
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        assert not page.locator("[data-testid='stHeader']").is_visible()
        assert page.get_by_role("button", name="Leave presentation mode").is_visible()
        assert page.get_by_role("heading", name="Board pack").count() == 0
        # every character of the tiles and the table is drawn with the app's own fonts (the trends are
        # drawn lines), so the layout is the same on any laptop
        assert not _system_fonts(page, [".st-key-tiles", ".st-key-scorecard"]), installed
        assert page.locator(".st-key-scorecard svg.yj-spark").count() == len(HEADLINE)
        view = page.viewport_size
        rows = page.locator(ROWS)
        assert rows.count() == len(HEADLINE)
        assert not _wrapped_cells(page)  # one line per indicator
        for i in range(rows.count()):
            box = rows.nth(i).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= view["height"], (i, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"], (i, box)
        bottom = page.evaluate("document.querySelector('.st-key-scorecard').getBoundingClientRect().bottom")
        assert bottom <= view["height"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
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
        page.get_by_role("heading", name="Board pack").wait_for()
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
        page.get_by_role("button", name="Leave presentation mode").wait_for()
        wait_for_app(page)
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        _labels_whole(page)
    finally:
        ctx.close()


def _presenting_scorecard(page) -> None:
    """The scorecard is on screen, in presentation mode."""
    page.get_by_role("button", name="Leave presentation mode").wait_for()
    page.locator(ROWS).nth(len(HEADLINE) - 1).wait_for()
    wait_for_app(page)
    assert "present=1" in page.url and "kpi_detail" not in page.url
    assert not page.locator("[data-testid='stSidebar']").is_visible()


def _presenting_detail(page, indicator: str) -> None:
    """The indicator's detail is on screen, still in presentation mode."""
    page.get_by_role("heading", name="KPI detail").wait_for()
    page.get_by_role("link", name="← Back to the scorecard").wait_for()
    wait_for_app(page)
    assert f"indicator={indicator}" in page.url and "present=1" in page.url
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    assert not page.locator("[data-testid='stHeader']").is_visible()


def test_the_detail_link_stays_in_the_tab_and_in_presentation_mode(start_server, browser):
    server = start_server("board")
    ctx, page = _open(browser, f"{server.url}/?present=1", 1920, 1080)
    try:
        scorecard_url = page.url
        page.locator(LABELS).filter(has_text=INDICATORS["kpi2_ete"].label).click()
        _presenting_detail(page, "kpi2_ete")
        assert len(ctx.pages) == 1  # the same tab, not a new one
        assert "q=" in page.url and "q=" in scorecard_url  # the period travels with it
        screenshot(page, "projector_detail")
        assert not _serious(page)

        page.go_back()  # the browser's Back: one step returns to the scorecard, still presenting
        _presenting_scorecard(page)
        assert page.url == scorecard_url
        page.go_forward()
        _presenting_detail(page, "kpi2_ete")

        page.get_by_role("link", name="← Back to the scorecard").click()  # for a projector without browser bar
        _presenting_scorecard(page)
        assert len(ctx.pages) == 1
        page.locator(LABELS).filter(has_text=INDICATORS["fte_rate"].label).click()
        _presenting_detail(page, "fte_rate")
        page.go_back()
        _presenting_scorecard(page)
    finally:
        ctx.close()
