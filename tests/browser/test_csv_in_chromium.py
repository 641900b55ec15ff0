"""CSV files chosen together in Chromium, then Population on its own (issue 22 items 5 and 6): stored, the
page says where each sheet came from, and axe-core finds no serious violation."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_mapping_in_chromium import _serious
from tests.broken_workbooks import valid_workbook_rows
from tests.test_upload_files import _csv
from yj_metrics.store import Store

pytestmark = pytest.mark.browser


def test_csv_files_then_population_on_its_own(start_server, context):
    server = start_server("manager")
    store = Store(server.db_url)
    rows = valid_workbook_rows()
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)
    page.locator(".st-key-workbook input[type='file']").set_input_files([
        {"name": f"{sheet}.csv", "mimeType": "text/csv", "buffer": _csv(rows[sheet], ";", "cp1252")}
        for sheet in ("Children", "Outcomes", "Interventions")])
    page.get_by_text(re.compile(r"Stored as snapshot 2\b")).wait_for(timeout=60_000)
    wait_for_app(page)
    assert store.latest().file_name == "Children.csv, Outcomes.csv, Interventions.csv"
    page.locator(".st-key-workbook input[type='file']").set_input_files(
        {"name": "Population.csv", "mimeType": "text/csv", "buffer": _csv(rows["Population"])})
    page.get_by_text(re.compile(r"Stored as snapshot 3\b")).wait_for(timeout=60_000)
    wait_for_app(page)
    live = store.latest()
    assert live.file_name == "Population.csv" and live.row_counts["Population"] == 3
    assert len(store.snapshots()) == 3  # the files stored before are not stored again
    assert live.row_counts["Children"] == 5
    page.get_by_text("Where each sheet of snapshot 3 came from").click()
    page.locator("[data-testid='stExpander']").filter(has_text="Where each sheet").locator(
        "[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    wait_for_app(page)
    screenshot(page, "upload_population_on_its_own")
    assert _serious(page) == []
