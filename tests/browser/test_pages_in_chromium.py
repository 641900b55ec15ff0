"""What only a real browser shows: navigation, filters, clicks, links, uploads, downloads."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import new_context, screenshot, stable_texts, wait_for_app
from yj_metrics.demo import demo_dataset as make_demo
from yj_metrics.writing import dataset_to_xlsx

pytestmark = pytest.mark.browser


def _scorecard_values(page) -> list[str]:
    cells = ".st-key-scorecard tbody td:nth-child(2)"
    page.locator(cells).nth(9).wait_for()
    return stable_texts(page, cells)


def _pick(page, label: str, option: str) -> None:
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(has_text=label)
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_for_app(page)


def test_overview_locality_filter_and_copied_url(start_server, context, browser):
    server = start_server("board")
    page = context.new_page()
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_role("heading", name="Board overview").wait_for()
    assert page.get_by_text("Demo data.").first.is_visible()
    before = _scorecard_values(page)
    assert len(before) >= 10
    screenshot(page, "overview")
    # no horizontal scrolling at 1366x768
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    _pick(page, "Locality", "North")
    page.wait_for_function("() => location.search.includes('loc=North')")
    page.get_by_text("Locality: North").first.wait_for()
    after = _scorecard_values(page)
    assert after != before and len(after) == len(before)
    page.get_by_text("Locality: North").first.wait_for()

    # the copied link, opened in a new browser context, gives the same view
    other = new_context(browser, viewport={"width": 1366, "height": 768})
    p2 = other.new_page()
    p2.goto(page.url)
    wait_for_app(p2)
    p2.get_by_text("Locality: North").first.wait_for()
    assert _scorecard_values(p2) == after
    other.close()


def test_clicking_a_bar_drills_down(start_server, context):
    server = start_server("manager")
    page = context.new_page()
    page.goto(f"{server.url}/kpi_detail?indicator=kpi2_ete")
    wait_for_app(page)
    page.get_by_text("Break down by").wait_for()
    bars = page.locator("[data-testid='stPlotlyChart']").last.locator("g.point path")
    bars.first.wait_for()
    screenshot(page, "kpi_detail")
    bars.first.click(force=True)  # the first bar is White
    page.get_by_text("Ethnicity: White").first.wait_for()
    assert "eth=White" in page.url


def test_manager_uploads_a_workbook(start_server, context, tmp_path):
    server = start_server("manager")
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)
    path = tmp_path / "april.xlsx"
    path.write_bytes(dataset_to_xlsx(make_demo(seed=3, children=150)))
    page.locator(".st-key-workbook input[type='file']").set_input_files(str(path))
    page.get_by_text(re.compile(r"Stored as snapshot \d+")).wait_for()
    screenshot(page, "upload")
    from yj_metrics.store import Store

    assert Store(server.db_url).latest().file_name == "april.xlsx"


def test_partner_first_request_to_upload_is_refused(start_server, context):
    server = start_server("partner")  # a fresh server: its first request goes straight to /upload
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)
    page.get_by_text("Access denied").wait_for()
    assert page.locator("input[type='file']").count() == 0
    assert page.get_by_text("Download the blank template").count() == 0
    screenshot(page, "upload_refused_partner")


def test_board_pack_button_gives_both_files(start_server, context, tmp_path):
    server = start_server("board")
    page = context.new_page()
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_role("button", name="Build the board pack").click()
    page.get_by_role("button", name="Download PowerPoint").wait_for(timeout=120_000)
    names = []
    for label in ("Download PowerPoint", "Download PDF"):
        with page.expect_download() as d:
            page.get_by_role("button", name=label).click()
        download = d.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        names.append(target)
    assert names[0].suffix == ".pptx" and names[0].read_bytes()[:2] == b"PK"
    assert names[1].suffix == ".pdf" and names[1].read_bytes()[:4] == b"%PDF"
    assert "board" in names[0].name


@pytest.mark.parametrize("path", ["disproportionality", "ete_accommodation", "reoffending", "disposals_caseload",
                                  "data_quality", "settings"])
def test_screenshot_every_page(start_server, context, path):
    server = start_server("manager")
    page = context.new_page()
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    screenshot(page, path)
