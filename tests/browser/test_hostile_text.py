"""Markup in the data or in a file name is shown as text: no outside image, link or request.

A dataset whose localities, team, case worker, vocabulary value, benchmark comparator and
file name are markdown or HTML becomes the live snapshot; every page each role may open is
visited in Chromium, and the upload page is given a workbook with such a file name.
"""
from __future__ import annotations

import dataclasses
import re
import urllib.parse

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from ui.fmt import WORD_JOINER
from ui.nav import visible_pages
from yj_metrics.demo import demo_dataset as make_demo
from yj_metrics.store import Store
from yj_metrics.writing import dataset_to_xlsx

pytestmark = pytest.mark.browser

OUTSIDE = "example.invalid"
IMAGE_LOCALITY = "![x](http://example.invalid/t.png)"
LINK_LOCALITY = "[click](http://example.invalid)"
FILE_NAME = "[report](http://example.invalid/f).xlsx"
BENCHMARK = "<a href='http://example.invalid/b'>bench</a>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# any element that fetches or links to the outside site (HTML and SVG, href and xlink:href); an address
# is judged by its host, so a link within the app whose query string carries the text (a filter) is not one
OUTSIDE_ELEMENTS_JS = """() => [...document.querySelectorAll('*')].flatMap(el => [...el.attributes]
    .filter(a => ['srcset', 'style'].includes(a.localName) ? a.value.includes('example.invalid')
                 : ['href', 'src', 'action', 'formaction', 'poster', 'data'].includes(a.localName)
                   && (() => { try { return new URL(a.value, document.baseURI).hostname.endsWith('example.invalid'); }
                               catch (e) { return a.value.includes('example.invalid'); } })())
    .map(a => el.tagName + ' ' + a.name + '=' + a.value))"""


# the script has run to its end (Streamlit marks the app element with its run state)
IDLE_JS = "() => document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState === 'notRunning'"


def _hostile(ds):
    """The demo with markup where the data carry names: localities, a team, a case worker, an ETE
    provision, a benchmark comparator and the service name."""
    localities = {"North": IMAGE_LOCALITY, "West": LINK_LOCALITY}
    iv = ds.interventions.assign(
        team=ds.interventions["team"].replace({"North": "<img src=http://example.invalid/i.png>"}),
        case_worker=ds.interventions["case_worker"].replace({"W038": "[w](http://example.invalid/w)"}),
        ete_provision_end=ds.interventions["ete_provision_end"].replace(
            {"Training": "<a href='http://example.invalid/p'>provision</a>"}))
    return dataclasses.replace(
        ds, is_demo=False, service_name="[service](http://example.invalid/s)",
        children=ds.children.assign(locality=ds.children["locality"].replace(localities)),
        population=ds.population.assign(locality=ds.population["locality"].replace(localities)),
        interventions=iv,
        benchmarks=ds.benchmarks.assign(comparator=ds.benchmarks["comparator"].replace(
            {"Northshire YJS": BENCHMARK})))


def _shown(text: str) -> re.Pattern:
    """``text`` as the page shows it: md_escape may put invisible word joiners into addresses."""
    return re.compile(f"{WORD_JOINER}?".join(map(re.escape, text)))


def _watch(context) -> list[str]:
    """Every URL the browser asks for, from now on."""
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    return requests


def _assert_inert(page, requests: list[str], where: str) -> None:
    assert not [u for u in requests if urllib.parse.urlsplit(u).hostname == OUTSIDE], f"{where}: went outside"
    assert page.evaluate(OUTSIDE_ELEMENTS_JS) == [], where
    assert page.locator("[data-testid='stException']").count() == 0, where


def _settled(page) -> None:
    """Wait until the page's script has finished (a partner's first pages wait for the protected
    view), twice a second apart: a widget's rerun starts a moment after the click."""
    wait_for_app(page)
    for _ in range(2):
        page.wait_for_timeout(1000)
        page.wait_for_function(IDLE_JS, timeout=180_000)


def _breakdown_by_locality_shows(page, locality: str) -> None:
    """On the Reoffending page: break down by locality; the chart's axis names the locality as text."""
    radio = page.locator("[data-testid='stRadio']").filter(has_text="Break down by")
    radio.get_by_text("Locality", exact=True).click()
    _settled(page)
    ticks = page.locator("[data-testid='stPlotlyChart'] .xtick text")
    ticks.first.wait_for()
    assert locality in ticks.all_text_contents()


@pytest.mark.parametrize("role, locality", [("manager", LINK_LOCALITY), ("board", IMAGE_LOCALITY),
                                            ("partner", None)])
def test_markup_in_the_data_is_shown_as_text(start_server, context, role, locality):
    server = start_server(role)
    Store(server.db_url).load_dataset(_hostile(make_demo(seed=7, children=120)), file_name=FILE_NAME,
                                      sha256="hostile")
    requests = _watch(context)
    page = context.new_page()
    query = f"?loc={urllib.parse.quote(locality, safe='')}" if locality else ""  # staff filter to one
    for _, _, _, url, _ in visible_pages(role):
        page.goto(f"{server.url}/{'' if url == 'overview' else url}{query}")
        _settled(page)
        # the snapshot's file name, in the sidebar of every page, reached the page as text
        assert page.locator("[data-testid='stSidebar']").get_by_text(_shown(FILE_NAME)).is_visible(), url
        if locality and url not in ("data_quality", "upload", "settings", "audit", "snapshots"):
            assert page.get_by_text(_shown(f"Locality: {locality}")).first.is_visible(), url  # the breadcrumb
        if url == "kpi_detail" and role != "partner":
            # benchmarks are for the whole service, so the comparators are named only without a filter
            if query:
                _assert_inert(page, requests, f"{role} {url} filtered")
                page.goto(f"{server.url}/{url}")
                _settled(page)
            legend = page.locator("[data-testid='stPlotlyChart'] .legendtext")
            legend.first.wait_for()
            assert BENCHMARK in legend.all_text_contents()
        if url == "reoffending":
            _breakdown_by_locality_shows(page, locality or IMAGE_LOCALITY)
        page.wait_for_timeout(300)  # let charts and images start whatever they would fetch
        _assert_inert(page, requests, f"{role} {url}")
    screenshot(page, f"hostile_text_{role}")


def test_hostile_file_name_on_upload(start_server, context):
    server = start_server("manager")
    requests = _watch(context)
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)
    workbook = dataset_to_xlsx(make_demo(seed=3, children=150))
    page.locator(".st-key-workbook input[type='file']").set_input_files(
        {"name": FILE_NAME, "mimeType": XLSX, "buffer": workbook})
    page.get_by_text(re.compile(r"Stored as snapshot \d+")).wait_for()
    # stored, the page ran again from the top: the sidebar names the new live file, as text
    page.locator("[data-testid='stSidebar']").get_by_text(_shown(FILE_NAME)).wait_for()
    _assert_inert(page, requests, "upload")
    assert Store(server.db_url).latest().file_name == FILE_NAME

    # the same bytes again, under another name: the message names the stored file, as text
    page.locator(".st-key-workbook input[type='file']").set_input_files(
        {"name": "<img src=http://example.invalid/u.png>.xlsx", "mimeType": XLSX, "buffer": workbook})
    page.get_by_text(_shown(f"already loaded as snapshot 2 ({FILE_NAME})")).wait_for()
    page.get_by_text(_shown("<img src=http://example.invalid/u.png>.xlsx: checked")).wait_for()
    _assert_inert(page, requests, "upload again")
    screenshot(page, "hostile_upload")
