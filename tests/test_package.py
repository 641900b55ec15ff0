"""The metrics package stays pure Python: importing all of it never loads Streamlit."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import yj_metrics

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_imports_without_streamlit():
    modules = sorted(m.name for m in pkgutil.iter_modules(yj_metrics.__path__) if m.name != "__main__")
    assert {"contract", "validation", "periods", "counting"} <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('yj_metrics.' + m)\n"
        "bad = sorted(k for k in sys.modules if k == 'streamlit' or k.startswith('streamlit.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"yj_metrics imported streamlit: {out.stdout}"


def test_no_module_mentions_streamlit_imports():
    for path in Path(yj_metrics.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path.name
