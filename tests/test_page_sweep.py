"""Every page, for the roles with filters, over links that pick empty and tiny groups: no error."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import ROOT, _text

PAGES = ["overview", "kpi_detail", "disproportionality", "ete_accommodation", "reoffending", "disposals_caseload"]
LINKS = [
    {"loc": "West", "eth": "Other", "gen": "Female", "age": "10-14"},   # a tiny group (reported failing)
    {"loc": "North", "eth": "Black"},                                   # the ETE page's old TypeError
    {"loc": "North", "eth": "Asian", "period": "fy"},
    {"eth": "Not known", "gen": "Female", "disp": "Custodial sentence"},  # empty or nearly
    {"gen": "Female", "age": "10-14", "disp": "Youth rehabilitation order", "period": "rolling"},
]


@pytest.mark.parametrize("link", LINKS, ids=lambda d: "&".join(f"{k}={v}" for k, v in d.items()))
@pytest.mark.parametrize("page", PAGES)
def test_tiny_and_empty_groups_never_break_a_page(page, link, store_url, monkeypatch):
    monkeypatch.setenv("YJ_ROLE", "board")
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
    for k, v in link.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert not errors, errors
    text = _text(at)
    assert "Something went wrong" not in text and "Traceback" not in text
