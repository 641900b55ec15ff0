"""The pages write the audit log (AppTest runs the real page scripts against a real SQLite store)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.broken_workbooks import broken_workbooks
from yj_metrics.store import Store
from yj_metrics.writing import dataset_to_xlsx

ROOT = Path(__file__).resolve().parents[1]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def store_url(tmp_path, monkeypatch, demo_dataset):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    Store(url).load_dataset(demo_dataset, "Demo data (synthetic)", sha256="demo-audit", is_demo=True)
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    monkeypatch.setenv("YJ_ROLE", "manager")
    return url


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _rows(url, action):
    return [dict(r, detail=json.loads(r["detail"])) for r in Store(url).audit_entries(actions=[action]).to_dict("records")]


def test_uploads_rejected_and_accepted_are_audited_with_name_and_sha256(store_url):
    from yj_metrics.demo import demo_dataset

    at = _page("upload")
    assert any("Local mode: no sign-in." in c.value for c in at.caption)
    bad = next(c for c in broken_workbooks() if c.has_errors).xlsx
    at.file_uploader(key="workbook").set_value(("broken.xlsx", bad, XLSX)).run()
    good = dataset_to_xlsx(demo_dataset(seed=2, children=120))
    at.file_uploader(key="workbook").set_value(("april.xlsx", good, XLSX)).run()
    assert not at.exception
    rows = _rows(store_url, "upload")  # newest first
    assert [r["detail"]["outcome"] for r in rows] == ["accepted", "rejected"]
    assert rows[1]["detail"]["file_name"] == "broken.xlsx" and rows[1]["detail"]["errors"] > 0
    assert rows[1]["detail"]["sha256"] == hashlib.sha256(bad).hexdigest() and pd.isna(rows[1]["snapshot_id"])
    assert rows[0]["detail"]["sha256"] == hashlib.sha256(good).hexdigest()
    assert rows[0]["snapshot_id"] == Store(store_url).latest().id
    assert rows[0]["role"] == "manager" and rows[0]["subject"].startswith("local:")


def test_settings_change_is_audited_before_and_after(store_url):
    at = _page("settings")
    at.text_input[0].set_value("Northshire YJS")
    at.button[0].click().run()
    assert not at.exception
    (row,) = _rows(store_url, "settings_changed")
    assert row["detail"]["changed"] == ["service_name"]
    assert row["detail"]["before"] == {"service_name": "Youth Justice Service"}
    assert row["detail"]["after"] == {"service_name": "Northshire YJS"}


def test_board_pack_built_and_refusals_are_audited(store_url, monkeypatch):
    monkeypatch.setenv("YJ_ROLE", "partner")
    _page("upload")
    (refused,) = _rows(store_url, "access_refused")
    assert refused["role"] == "partner" and refused["detail"]["page"] == "Upload the monthly workbook"
    at = _page("overview")
    next(b for b in at.button if b.key == "build_pack").click().run()
    assert not at.exception
    (built,) = _rows(store_url, "board_pack_built")
    assert built["role"] == "partner" and built["detail"]["quarter"]["label"]
    assert sorted(f.rsplit(".", 1)[1] for f in built["detail"]["files"]) == ["pdf", "pptx", "xlsx"]


def test_a_read_only_store_serves_pages_and_says_nothing_is_audited(sealable_folder, monkeypatch, demo_dataset,
                                                                     caplog):
    folder, seal = sealable_folder
    url = f"sqlite:///{folder / 'app.db'}"
    store = Store(url)
    store.load_dataset(demo_dataset, "Demo data (synthetic)", sha256="demo-ro", is_demo=True)
    store.engine.dispose()
    seal()
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    monkeypatch.setenv("YJ_ROLE", "partner")
    for _ in range(2):  # two sessions refused: each audit row is skipped, the page still answers
        at = _page("upload")
        assert any(e.value.startswith("Access denied") for e in at.error), at.error
    assert caplog.text.count("not written to the audit log") == 1  # logged once, not per request
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = _page("settings")
    assert any("read-only, so settings cannot be saved" in e.value for e in at.error)
    assert any("database is read-only" in c.value for c in at.caption)
    assert at.button[0].disabled


def test_commentary_goes_from_the_database_into_the_pack_the_board_downloads(store_url, monkeypatch):
    """Commentary round trip: saved for the scorecard's quarter, it appears in the deck and the Excel scorecard the
    overview's button builds (the words are planted here, not read from our own output)."""
    import io

    import openpyxl
    from pptx import Presentation

    from yj_metrics.periods import reporting_quarter

    monkeypatch.setenv("YJ_ROLE", "board")

    label = reporting_quarter(Store(store_url).dataset().covers[1]).label
    store = Store(store_url)
    store.save_commentary("fte_rate", label, "Entrants fell after the diversion panel started.", by="manager@x")
    store.add_action("fte_rate", label, "Report diversion outcomes to the board.", by="manager@x", owner="Head of YJS")
    at = _page("overview")
    next(b for b in at.button if b.key == "build_pack").click().run()
    assert not at.exception
    pack = at.session_state["board_pack"]
    deck = "\n".join(shape.text_frame.text for slide in Presentation(io.BytesIO(pack.pptx)).slides
                     for shape in slide.shapes if shape.has_text_frame)
    deck += "\n".join(cell.text for slide in Presentation(io.BytesIO(pack.pptx)).slides for shape in slide.shapes
                      if shape.has_table for row in shape.table.rows for cell in row.cells)
    assert "Entrants fell after the diversion panel started." in deck
    assert "Report diversion outcomes to the board." in deck
    sheet = openpyxl.load_workbook(io.BytesIO(pack.xlsx)).active
    assert any("Entrants fell after the diversion panel started." == c.value for row in sheet.iter_rows() for c in row)
