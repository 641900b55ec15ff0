"""The partner protection is computed once per snapshot and kept in the database: a restarted server (or the
``protect`` command run before it starts) reads it instead of making the first partner wait for it.

Real SQLite files and a real PostgreSQL server; the kept masks are compared with masks computed afresh from
the same rows (not with themselves)."""
from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from yj_metrics import disclosure as d
from yj_metrics.settings import Settings
from yj_metrics.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def computed(demo_dataset):
    """The protection of the 600-child demo, computed from its rows."""
    return d.PartnerProtection(demo_dataset).prepare()


def _all_masks(prot: d.PartnerProtection) -> dict:
    out = {"indicators": prot._mask()}
    for name in prot._KEPT_TABLES:
        out[name] = prot._table_mask(name, d._missing)
    return out


def test_a_kept_protection_read_after_a_restart_hides_exactly_what_a_fresh_one_hides(db_url, demo_dataset,
                                                                                      computed):
    store = Store(db_url)
    info = store.load_dataset(demo_dataset, "demo.xlsx", sha256="kept-1").snapshot
    first = d.PartnerProtection(store.dataset(info.id), store.get_settings()).prepare()
    assert store.keep_protection(info.id, first.identity, first.dump())
    store.engine.dispose()

    # a restart: a new connection, a new dataset object, nothing computed
    again = Store(db_url)
    later = d.PartnerProtection(again.dataset(info.id), again.get_settings())
    assert not later.ready()
    assert later.restore(again.kept_protection(info.id, later.identity))
    assert later.ready()
    assert _all_masks(later) == _all_masks(computed)
    # and what a partner reads from it is the same, figure by figure
    fy = computed.periods.years[-1]
    from yj_metrics.indicators import compute

    results = compute(demo_dataset, fy, None, "ethnicity", Settings())
    assert later.protect_results(results) == computed.protect_results(results)
    last = computed.periods.quarters[-1]
    assert later.ete_status_table(last).equals(computed.ete_status_table(last))
    assert later.disposal_table(fy).equals(computed.disposal_table(fy))


def test_what_is_kept_is_which_cells_are_hidden_never_a_figure(computed):
    body = json.loads(zlib.decompress(computed.dump()))
    masks = [body["indicators"]] + list(body["tables"].values())
    # hidden or not, or hidden with the size-neutral marker: never a count
    assert all(isinstance(hidden, bool) or hidden == d.UNSIZED for m in masks for _, hidden in m)
    assert sum(len(m) for m in masks) > 1000
    # no child's id anywhere in it
    text = json.dumps(body)
    ids = set(computed.ds.children["child_id"].astype(str))
    assert not any(f'"{i}"' in text for i in list(ids)[:200])


def test_a_kept_protection_is_refused_for_other_settings_another_snapshot_or_when_damaged(db_url, demo_dataset,
                                                                                         computed):
    store = Store(db_url)
    info = store.load_dataset(demo_dataset, "demo.xlsx", sha256="kept-2").snapshot
    store.keep_protection(info.id, computed.identity, computed.dump())

    stricter = d.PartnerProtection(demo_dataset, Settings(suppression_threshold=9))
    assert stricter.identity != computed.identity
    assert store.kept_protection(info.id, stricter.identity) is None
    assert not stricter.restore(computed.dump())  # a body of other settings is refused, not trusted
    assert not stricter.ready()

    other = store.load_dataset(demo_dataset, "again.xlsx", sha256="kept-3").snapshot
    assert store.kept_protection(other.id, computed.identity) is None  # kept per snapshot

    fresh = d.PartnerProtection(demo_dataset)
    damaged = bytearray(computed.dump())
    damaged[len(damaged) // 2] ^= 0xFF
    assert not fresh.restore(bytes(damaged))
    assert not fresh.restore(zlib.compress(b'{"format": 1, "identity": "x"}'))
    assert not fresh.ready()


def test_a_new_snapshot_has_no_kept_protection_and_keeping_replaces_the_old_one(db_url, demo_dataset, computed):
    store = Store(db_url)
    a = store.load_dataset(demo_dataset, "a.xlsx", sha256="kept-a").snapshot
    store.keep_protection(a.id, "0" * 64, b"old")
    store.keep_protection(a.id, computed.identity, computed.dump())
    assert store.kept_protection(a.id, "0" * 64) is None  # other settings' protection dropped
    assert store.kept_protection(a.id, computed.identity) is not None
    assert not store.keep_protection(a.id + 999, computed.identity, computed.dump())  # no such snapshot


def test_the_protect_command_prepares_once_and_the_app_reads_it(tmp_path, monkeypatch, demo_dataset, computed):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    info = Store(url).load_dataset(demo_dataset, "demo.xlsx", sha256="kept-cli").snapshot
    run = [sys.executable, "-m", "yj_metrics", "protect", "--db", url]
    first = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr
    assert "kept in the database" in first.stdout
    second = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0 and "already prepared" in second.stdout

    # the app's shared protection (ui.data) for that snapshot is ready at once, and hides what a fresh one does
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    from ui import data

    prot = data._protection(url, info.id, Store(url).get_settings().to_json())
    assert prot.ready()
    assert _all_masks(prot) == _all_masks(computed)


def test_the_app_keeps_the_protection_it_computes(tmp_path, monkeypatch, demo_dataset, computed):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    store = Store(url)
    info = store.load_dataset(demo_dataset, "demo.xlsx", sha256="kept-app").snapshot
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    from ui import data

    settings_json = store.get_settings().to_json()
    prot = data._protection(url, info.id, settings_json)
    assert not prot.ready()
    prot.prepare()
    assert store.kept_protection(info.id, prot.identity) is not None
    data._protection.clear()
    data._dataset.clear()
    restarted = data._protection(url, info.id, settings_json)
    assert restarted is not prot and restarted.ready()
    assert _all_masks(restarted) == _all_masks(computed)


def test_no_protect_command_without_data(tmp_path):
    out = subprocess.run([sys.executable, "-m", "yj_metrics", "protect", "--db", f"sqlite:///{tmp_path / 'e.db'}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert "load a workbook first" in (out.stdout + out.stderr)
