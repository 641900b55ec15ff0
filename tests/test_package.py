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


def _imports() -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports, at the top or inside a function."""
    import ast

    modules = {p.stem: p for p in Path(yj_metrics.__file__).parent.glob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("yj_metrics."):
                found.add(node.module.split(".")[1])
        graph[name] = found & set(modules)
    return graph


def test_imports_run_one_way_with_no_circle():
    """Pages -> rules -> contract: no module reaches itself again through the modules it imports (the
    counting-indicators-kpis and settings-targets circles were cut; this keeps them cut)."""
    graph = _imports()
    assert {"registry", "counting", "indicators", "kpis", "settings", "targets"} <= set(graph)
    circles = []
    for start in graph:
        seen, stack = set(), [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join(path + (start,)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + (nxt,)))
    assert circles == [], circles
    assert "targets" not in graph["settings"] and "indicators" not in graph["registry"]
