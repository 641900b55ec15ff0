"""Deployment settings: .streamlit/config.toml, the secrets example, and run_app.sh's local mode."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_config_is_hardened():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["maxUploadSize"] == 50
    assert cfg["browser"]["gatherUsageStats"] is False
    assert "address" not in cfg["server"]  # left to the deployment (README)
    assert cfg["client"]["showErrorDetails"] == "none"


def test_only_an_example_secrets_file_is_shipped():
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert set(example["auth"]) >= {"redirect_uri", "cookie_secret", "client_id", "client_secret",
                                    "server_metadata_url"}
    assert "REPLACE" in example["auth"]["cookie_secret"] and "REPLACE" in example["auth"]["client_secret"]
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    assert ignored.returncode == 0, ".streamlit/secrets.toml must be git-ignored"


def _fake_checkout(tmp_path: Path) -> Path:
    """A copy of the scripts with a .venv whose python prints its arguments (nothing is installed)."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    for name in ("run_app.sh", "_python_env.sh"):
        shutil.copy(ROOT / "scripts" / name, root / "scripts" / name)
    (root / "requirements.txt").write_text("streamlit\n")
    venv = root / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text('#!/bin/sh\necho "ARGS: $*"\n')
    (venv / "python").chmod(0o755)
    want = hashlib.sha256((root / "requirements.txt").read_bytes() * 2).hexdigest()
    (root / ".venv" / ".installed-requirements.txt").write_text(want + "\n")
    (root / ".streamlit").mkdir()
    return root


def test_run_app_binds_to_localhost_only_in_local_mode(tmp_path):
    root = _fake_checkout(tmp_path)
    run = lambda: subprocess.run(["bash", str(root / "scripts" / "run_app.sh"), "--server.port", "8600"],
                                 capture_output=True, text=True, env={**os.environ})
    local = run()
    assert local.returncode == 0, local.stderr
    assert "ARGS: -m streamlit run app.py --server.address 127.0.0.1 --server.port 8600" in local.stdout
    assert "Local mode" in local.stderr
    (root / ".streamlit" / "secrets.toml").write_text("# no sign-in yet\n[general]\nx = 1\n")
    assert "--server.address 127.0.0.1" in run().stdout
    (root / ".streamlit" / "secrets.toml").write_text('[auth]\nredirect_uri = "https://x.example/oauth2callback"\n')
    signed = run()
    assert "ARGS: -m streamlit run app.py --server.port 8600" in signed.stdout
    assert "--server.address" not in signed.stdout
    # partners can come: their protected view is prepared before the server starts (not for a local manager)
    assert signed.stdout.index("ARGS: -m yj_metrics protect --demo-if-empty") < signed.stdout.index("streamlit")
    assert "yj_metrics protect" not in local.stdout
    (root / ".streamlit" / "secrets.toml").unlink()
    partner = subprocess.run(["bash", str(root / "scripts" / "run_app.sh")], capture_output=True, text=True,
                             env={**os.environ, "YJ_ROLE": " Partner "})
    assert "ARGS: -m yj_metrics protect --demo-if-empty" in partner.stdout
    assert "--server.address 127.0.0.1" in partner.stdout


def test_streamlit_reads_the_settings_that_spare_a_crowd_per_run_housekeeping():
    """No full garbage collection and no source-module rescan after each session's run (benchmarks/bench_load.py:
    a sixth and a twentieth of the server's CPU with 20 sessions), as Streamlit itself reads the config."""
    import sys

    code = ("from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(config.get_option('runner.postScriptGC'), config.get_option('server.fileWatcherType'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "none"], out.stderr[-2000:]
