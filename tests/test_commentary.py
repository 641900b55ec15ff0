"""Commentary and actions: stored for real (SQLite and PostgreSQL), written by managers on the KPI detail
page and read there by board members and partners."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.fmt import md_escape
from yj_metrics.commentary import BoardNotes
from yj_metrics.errors import StoreReadOnlyError
from yj_metrics.periods import reporting_quarter
from yj_metrics.store import Store

ROOT = Path(__file__).resolve().parents[1]
TEXT = "ETE rose: [see](http://evil.example) *the* pilot"


def test_commentary_and_actions_round_trip(db_url):
    store = Store(db_url)
    assert store.board_notes("2023-24 Q4") == BoardNotes("2023-24 Q4")
    store.save_commentary("fte_rate", "2023-24Q4", "  Fewer first-time entrants.  ", "ann@council.example")
    saved = store.save_commentary("fte_rate", "2023-24 Q4", "Fewer first-time entrants after the triage pilot.",
                                  "bob@council.example")
    store.save_commentary("kpi2_ete", "2023-24 Q3", "Last quarter's text", "ann@council.example")
    old = store.add_action("fte_rate", "2023-24 Q3", "Extend triage to the West", "ann@council.example",
                           owner="Prevention lead", due=dt.date(2024, 1, 31))
    dropped = store.add_action("kpi2_ete", "2023-24 Q3", "Review ETE panel", "ann@council.example")
    new = store.add_action("fte_rate", "2023-24 Q4", "Report triage outcomes", "bob@council.example",
                           owner="Head of service", status="Open")
    done = store.set_action_status(old.id, "Done", "bob@council.example")
    store.set_action_status(dropped.id, "Dropped", "bob@council.example")

    notes = store.board_notes("2023-24 Q4")
    assert notes.quarter == "2023-24 Q4"
    assert list(notes.commentary) == ["fte_rate"]  # one current text; last quarter's is not this quarter's
    text = notes.commentary["fte_rate"]
    assert text == saved and text.text == "Fewer first-time entrants after the triage pilot."
    assert text.updated_by == "bob@council.example" and text.updated_at.tzinfo is not None
    assert [(a.id, a.text, a.owner, a.due, a.status) for a in notes.actions] == [
        (new.id, "Report triage outcomes", "Head of service", None, "Open")]
    assert [(a.id, a.status, a.updated_by) for a in notes.previous_actions] == [
        (old.id, "Done", "bob@council.example"), (dropped.id, "Dropped", "bob@council.example")]
    assert notes.previous_actions[0] == done and done.due == dt.date(2024, 1, 31)
    assert notes.for_indicator("fte_rate") == (text, (notes.actions[0],))

    assert store.save_commentary("fte_rate", "2023-24 Q4", "   ", "bob@council.example") is None
    assert store.board_notes("2023-24 Q4").commentary == {}  # blank text removes it
    with pytest.raises(ValueError, match="not an action status"):
        store.set_action_status(new.id, "Finished", "bob")
    with pytest.raises(LookupError):
        store.set_action_status(9999, "Done", "bob")
    with pytest.raises(ValueError, match="financial-year quarter"):
        store.board_notes("Q4 2024")


def test_a_read_only_store_refuses_notes_and_an_old_file_reads_none(tmp_path):
    url = f"sqlite:///{tmp_path / 'yj.db'}"
    writer = Store(url)
    action = writer.add_action("fte_rate", "2023-24 Q4", "Triage", "ann")
    writer.engine.dispose()
    store = Store(url, read_only=True)
    for write in (lambda: store.save_commentary("fte_rate", "2023-24 Q4", "text", "ann"),
                  lambda: store.add_action("fte_rate", "2023-24 Q4", "More", "ann"),
                  lambda: store.set_action_status(action.id, "Done", "ann")):
        with pytest.raises(StoreReadOnlyError, match="read-only"):
            write()
    assert store.board_notes("2023-24 Q4").actions == (action,)
    store.engine.dispose()
    with sqlite3.connect(tmp_path / "yj.db") as conn:  # a file made before commentary was stored
        conn.execute("DROP TABLE actions")
        conn.execute("DROP TABLE commentary")
    assert Store(url, read_only=True).board_notes("2023-24 Q4") == BoardNotes("2023-24 Q4")


# ---------------------------------------------------------------- the KPI detail page

def _detail(role: str, monkeypatch, indicator: str = "kpi2_ete") -> AppTest:
    monkeypatch.setenv("YJ_ROLE", role)
    at = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=300)
    at.query_params["indicator"] = indicator
    at.run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception


def _audit(url: str, action: str) -> list[dict]:
    return [json.loads(d) for d in Store(url).audit_entries(actions=[action])["detail"]]


def test_manager_writes_and_the_board_reads_on_the_kpi_detail_page(store_url, monkeypatch, demo_dataset):
    quarter = reporting_quarter(demo_dataset.covers[1])
    store = Store(store_url)
    last = store.add_action("kpi2_ete", quarter.previous().label, "Meet the schools forum", "ann",
                            owner="ETE lead", due=dt.date(2024, 1, 15))

    at = _detail("manager", monkeypatch)
    assert any("do not name children" in c.value for c in at.caption)
    at.text_area(key="notes_text").set_value(TEXT)
    _click(at, "Save commentary")
    assert [s.value for s in at.success] == ["Commentary saved."]
    at.text_input(key="new_action_text").set_value("Agree a college offer")
    at.text_input(key="new_action_owner").set_value("Head of service")
    at.date_input(key="new_action_due").set_value(dt.date(2024, 6, 30))
    _click(at, "Add the action")
    at.selectbox(key=f"action_status_{last.id}").set_value("Done")
    _click(at, "Save statuses")
    assert [s.value for s in at.success] == ["1 action(s) updated."]

    notes = store.board_notes(quarter.label)
    assert notes.commentary["kpi2_ete"].text == TEXT
    (added,) = notes.actions
    assert (added.text, added.owner, added.due, added.status) == ("Agree a college offer", "Head of service",
                                                                 dt.date(2024, 6, 30), "Open")
    assert [a.status for a in notes.previous_actions] == ["Done"]
    assert _audit(store_url, "commentary_saved")[0]["quarter"] == quarter.label
    assert _audit(store_url, "action_added")[0]["action_id"] == added.id
    assert _audit(store_url, "action_updated")[0] == {"action_id": last.id, "after": "Done", "before": "Open",
                                                      "indicator": "kpi2_ete", "quarter": quarter.previous().label}

    for role in ("board", "partner"):
        seen = _detail(role, monkeypatch)
        assert not seen.text_area and not [b for b in seen.button if b.label == "Save commentary"]
        shown = [m.value for m in seen.markdown]
        assert md_escape(TEXT) in shown  # the text as written, never a link or emphasis
        assert "Agree a college offer" in seen.dataframe[-2].value["action"].tolist()
        previous = seen.dataframe[-1].value
        assert previous[["action", "status"]].values.tolist() == [["Meet the schools forum", "Done"]]
        assert f"**Actions agreed in {quarter.previous().label}, as they stand now**" in shown


def test_partners_see_no_notes_on_indicators_they_cannot_see(store_url, monkeypatch, demo_dataset):
    from yj_metrics.disclosure import NOT_FOR_PARTNERS

    quarter = reporting_quarter(demo_dataset.covers[1]).label
    hidden = NOT_FOR_PARTNERS[0]
    Store(store_url).save_commentary(hidden, quarter, "Caseloads per worker are too high", "ann")
    monkeypatch.setenv("YJ_ROLE", "partner")
    at = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=300)
    at.session_state["detail_indicator"] = hidden
    at.query_params["indicator"] = hidden
    at.run()
    assert not at.exception
    assert not any("Caseloads per worker" in m.value for m in at.markdown)
