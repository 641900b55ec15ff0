"""The whole mapping flow in Chromium: a first upload of a case system's export needs mapping; saved, next
month's export loads with no questions; a new code is asked about, alone. axe-core checks the step."""
from __future__ import annotations

import re

from tests.browser.conftest import screenshot, wait_for_app
from tests.builders import flat_export_with_new_code
from yj_metrics import demo
from yj_metrics.example_exports import export_xlsx
from yj_metrics.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAVE = "Save the mapping and load the data"


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _upload(page, name: str, data: bytes) -> None:
    page.locator(".st-key-workbook input[type='file']").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data})


def test_export_mapped_once_then_loaded_in_one_step_and_a_new_code_asked_alone(start_server, context):
    server = start_server("manager")
    store = Store(server.db_url)
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)

    # April: the first upload of this export needs mapping; the suggestions are accepted as they are
    _upload(page, "april_export.xlsx", export_xlsx(demo.demo_dataset(seed=11, children=300), "flat"))
    page.get_by_text("not laid out like the template").wait_for()
    wait_for_app(page)
    assert len(store.snapshots()) == 1  # nothing stored while the mapping is being made
    page.get_by_text("Preview: the first rows as they will be read").click()
    page.get_by_text(re.compile(r"Children \([\d,]+ rows, from sheet")).wait_for()
    wait_for_app(page)
    preview = page.locator("[data-testid='stExpander']").filter(has_text="Preview: the first rows")
    preview.locator("[data-testid='stDataFrame']").first.wait_for()
    screenshot(page, "upload_mapping_step")
    assert _serious(page) == []
    page.get_by_role("button", name=SAVE).click()
    page.get_by_text(re.compile(r"Stored as snapshot 2\b")).wait_for()  # the demo is snapshot 1
    assert store.latest().file_name == "april_export.xlsx"
    assert [s.version for s in store.saved_mappings(store.get_settings().service_name)] == [1]

    # May: recognised by its headings and loaded straight away, no button to press
    _upload(page, "may_export.xlsx", export_xlsx(demo.demo_dataset(seed=12, children=280), "flat"))
    page.get_by_text(re.compile(r"Stored as snapshot 3\b")).wait_for()
    assert store.latest().file_name == "may_export.xlsx"
    assert page.get_by_role("button", name=SAVE).count() == 0

    # June: one code never seen before is the only question
    _upload(page, "june_export.xlsx",
            flat_export_with_new_code(export_xlsx(demo.demo_dataset(seed=12, children=260), "flat"), "YRO-INT")[0])
    page.get_by_text(re.compile("it is read with your saved mapping")).wait_for()
    wait_for_app(page)
    questions = page.locator("[data-testid='stSelectbox']").filter(has_text=" means")
    assert questions.count() == 1 and "YRO-INT" in questions.first.inner_text()
    assert store.latest().file_name == "may_export.xlsx"
    screenshot(page, "upload_mapping_new_code")
    assert _serious(page) == []
    questions.first.locator("input").click()
    page.get_by_role("option", name="Youth Rehabilitation Order", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name=SAVE).click()
    page.get_by_text(re.compile(r"Stored as snapshot 4\b")).wait_for()
    assert store.latest().file_name == "june_export.xlsx"
    assert store.saved_mappings(store.get_settings().service_name)[0].version == 2
