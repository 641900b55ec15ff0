"""The audit log and the role-mapping rules in the store, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import sqlalchemy as sa

from yj_metrics.access import make_rule
from yj_metrics.store import Store, audit_log


def test_audit_rows_are_written_filtered_and_append_only(db_url):
    store = Store(db_url)
    day = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
    store.append_audit("sign_in", subject="s1", email="m@council.example.uk", role="manager", at=day)
    store.append_audit("download", subject="s1", email="m@council.example.uk", role="manager", snapshot_id=4,
                       detail={"kind": "csv", "file_name": "x.csv"}, at=day + dt.timedelta(days=1))
    store.append_audit("access_refused", subject="s2", email="p@police.example.uk", role="partner",
                       organisation="Police", detail={"page": "Upload"}, at=day + dt.timedelta(days=2))
    all_rows = store.audit_entries()
    assert list(all_rows["action"]) == ["access_refused", "download", "sign_in"]  # newest first
    assert all_rows.loc[0, "organisation"] == "Police"
    assert store.audit_entries(person="p@police.example.uk")["action"].tolist() == ["access_refused"]
    assert store.audit_entries(person="s1", actions=["download"])["snapshot_id"].tolist() == [4]
    assert store.audit_entries(since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 3))["action"].tolist() == [
        "download"]
    assert store.audit_people() == ["m@council.example.uk", "p@police.example.uk"]
    # the database itself refuses to change or remove audit rows
    for stmt in (audit_log.update().values(action="x"), audit_log.delete()):
        with pytest.raises(sa.exc.DBAPIError):
            with store.engine.begin() as conn:
                conn.execute(stmt)
    assert len(Store(db_url).audit_entries()) == 3  # a second Store on the same database keeps the guard


def test_role_rules_replace_per_service(db_url):
    store = Store(db_url)
    store.replace_role_rules([make_rule("group", "yj-managers", "manager"),
                              make_rule("domain", "police.example.uk", "partner", "Police", service="north")])
    assert {r.value for r in store.role_rules()} == {"yj-managers", "police.example.uk"}
    assert {r.value for r in store.role_rules("west")} == {"yj-managers"}
    store.replace_role_rules([make_rule("email", "x@police.example.uk", "board", service="north")], service="north")
    assert {(r.value, r.service) for r in store.role_rules()} == {("yj-managers", ""), ("x@police.example.uk", "north")}


def test_cli_roles_load_and_list_are_audited(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    f = tmp_path / "roles.csv"
    f.write_text("kind,value,role,organisation\ngroup,yj-managers,manager,\ndomain,police.example.uk,partner,Police\n")
    run = lambda *a: subprocess.run([sys.executable, "-m", "yj_metrics", *map(str, a)], capture_output=True, text=True)
    r = run("roles", "load", f, "--db", db)
    assert r.returncode == 0, r.stderr
    assert "Loaded 2 role-mapping rule(s)" in r.stdout
    r = run("roles", "list", "--db", db)
    assert "group  yj-managers -> manager" in r.stdout and "police.example.uk -> partner (Police)" in r.stdout
    log = Store(db).audit_entries()
    assert log["action"].tolist() == ["roles_loaded"] and log.loc[0, "subject"].startswith("cli:")
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,value,role\nemail,someone@x.example,admin\n")
    r = run("roles", "load", bad, "--db", db)
    assert r.returncode == 2 and "bad.csv line 2: role must be one of" in r.stderr and "Traceback" not in r.stderr
    assert len(Store(db).role_rules()) == 2  # nothing changed


def test_cli_load_is_audited_with_file_name_and_sha256(tmp_path, demo_xlsx_path):
    import hashlib

    db = f"sqlite:///{tmp_path / 'l.db'}"
    r = subprocess.run([sys.executable, "-m", "yj_metrics", "load", str(demo_xlsx_path), "--db", db],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    row = Store(db).audit_entries().iloc[0]
    assert row["action"] == "upload" and row["snapshot_id"] == 1
    assert f'"sha256": "{hashlib.sha256(demo_xlsx_path.read_bytes()).hexdigest()}"' in row["detail"]
    assert '"outcome": "accepted"' in row["detail"] and '"file_name": "demo.xlsx"' in row["detail"]
