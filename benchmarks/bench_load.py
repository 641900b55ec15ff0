"""Many people at once: N headless Chromium sessions open the board overview together, then all
change a filter together (the start of a board meeting). Prints p50/p95/max per N.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_load.py [N ...]      # default: 5 10 20
    PYTHONPATH=. .venv/bin/python benchmarks/bench_load.py --floor 20   # the same waves on a bare page
    PYTHONPATH=. .venv/bin/python benchmarks/bench_load.py --protocol 20  # the server alone, no browser

``BENCH_POLL_MS`` (default 50) sets how often each browser checks whether the page has finished.

For each N a fresh ``streamlit run app.py`` server (board role, local mode, its own SQLite
database holding the default demo) starts, so its caches are cold. Then:

1. *cold open*: N browser contexts open ``/`` at once; per session, the time from ``goto`` until
   the overview has finished rendering (all 13 scorecard rows, no "Running" widget, nothing stale);
2. *filter change*: all N choose locality North in the sidebar at once; per session, the time from
   choosing the option until the page shows the filtered overview, finished;
3. *warm open* and *warm filter*: a second wave of N new sessions on the same server (the
   server's caches now hold the figures).

Targets (the issue "The board meeting", 20 sessions): open p95 < 5 s, filter change p95 < 2 s.
The browsers run on the same machine as the server, so they compete with it for the CPU: after each
phase the script prints the CPU seconds the server process used and those the rest of the machine
(the browsers) used, against the core-seconds the phase had.

``--floor`` drives the same waves against a bare Streamlit page (nothing computed): what the browsers
alone cost on this machine. ``--protocol`` leaves the browsers out: each session fetches the page and
its scripts as an empty-cache browser does, then speaks Streamlit's websocket protocol (the same
messages a browser sends; a run counts as done when the server says it finished and it drew the 13
rows, and, after the filter change, the locality's clear button). That is the server's latency for a
crowd whose browsers run on their own machines, as a board's do.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 240_000
POLL_MS = int(os.environ.get("BENCH_POLL_MS", "50"))
OPEN_TARGET, FILTER_TARGET = 5.0, 2.0

# The overview has finished: every scorecard row is drawn, no script is running, nothing is stale.
DONE_JS = """(args) => {
  const [rows, needFilter] = args;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  if (document.querySelectorAll('[data-testid="stMain"] .st-key-scorecard tbody tr').length !== rows) return false;
  if (needFilter && !document.querySelector('[data-testid="stMain"] .st-key-clear_locality')) return false;
  return true;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The floor: a bare Streamlit page the same waves can drive (a sidebar "Locality" choice, a 13-row table in a
# container keyed "scorecard", a "clear_locality" button once North is chosen), with nothing computed. What
# N co-located browsers take to open and re-render it, no app can beat on this machine.
FLOOR_APP = r"""
import streamlit as st
chosen = st.sidebar.multiselect("Locality", ["North", "West"], key="w_locality")
st.title("Board overview")
if chosen:
    st.button("Clear locality", key="clear_locality")
with st.container(key="scorecard"):
    st.markdown("| Indicator | Value |\n|---|---|\n" + "\n".join(f"| Indicator {i} | {i * 7} |" for i in range(13)))
"""


def start_server(db_file: Path, tmp: Path, script: str = "app.py"):
    port = _free_port()
    env = {**os.environ, "YJ_DATABASE_URL": f"sqlite:///{db_file}", "YJ_ROLE": "board", "PYTHONPATH": str(ROOT)}
    log = open(tmp / f"server-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--secrets.files", str(tmp / "no-secrets.toml")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return url, proc
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise SystemExit(f"streamlit did not start; see {log.name}")


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every core, idle and I/O wait left out)."""
    vals = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / _TICK


class CpuShare:
    """Where the CPU went during a phase: the server process, and everything else (the browsers)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.t0, self.server0, self.machine0 = time.perf_counter(), _process_cpu(pid), _machine_cpu()

    def line(self) -> str:
        wall = time.perf_counter() - self.t0
        server = _process_cpu(self.pid) - self.server0
        rest = max(0.0, _machine_cpu() - self.machine0 - server)  # the two clocks tick apart
        cores = os.cpu_count() or 1
        return (f"           CPU over {wall:5.1f} s on {cores} cores ({wall * cores:5.1f} core-seconds): "
                f"server {server:5.1f} s, browsers and the rest {rest:5.1f} s")


def pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(-(-p * len(s) // 100)) - 1))]


def report(label: str, n: int, times: list[float], target: float, failures: int) -> None:
    p95 = pct(times, 95) if times else float("nan")
    verdict = f"target p95 < {target:g} s: {'met' if times and p95 < target and not failures else 'MISSED'}"
    fail = f"  ({failures} failed)" if failures else ""
    print(f"  N={n:<3} {label:<14} p50 {pct(times, 50) if times else float('nan'):6.2f} s  p95 {p95:6.2f} s  "
          f"max {max(times) if times else float('nan'):6.2f} s  {verdict}{fail}", flush=True)


async def _open(ctx, url: str, rows: int):
    page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url, timeout=TIMEOUT_MS)
    await page.wait_for_function(DONE_JS, arg=[rows, False], timeout=TIMEOUT_MS, polling=POLL_MS)
    return page, time.perf_counter() - t0


async def _filter(page, rows: int, start: asyncio.Event):
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(has_text="Locality")
    await box.locator("input").click()
    option = page.get_by_role("option", name="North", exact=True)
    await option.wait_for(timeout=TIMEOUT_MS)
    await start.wait()  # everyone chooses at the same moment
    t0 = time.perf_counter()
    await option.click()
    await page.wait_for_function(DONE_JS, arg=[rows, True], timeout=TIMEOUT_MS, polling=POLL_MS)
    took = time.perf_counter() - t0
    await page.keyboard.press("Escape")
    return took


async def wave(browser, url: str, n: int, rows: int, label: str, server_pid: int) -> None:
    contexts = [await browser.new_context(viewport=VIEWPORT) for _ in range(n)]
    try:
        cpu = CpuShare(server_pid)
        opened = await asyncio.gather(*(_open(c, url, rows) for c in contexts), return_exceptions=True)
        ok = [o for o in opened if not isinstance(o, BaseException)]
        report(f"{label} open", n, [t for _, t in ok], OPEN_TARGET, n - len(ok))
        print(cpu.line(), flush=True)
        await asyncio.sleep(1.0)
        start = asyncio.Event()
        tasks = [asyncio.create_task(_filter(p, rows, start)) for p, _ in ok]
        await asyncio.sleep(1.5)  # every dropdown open
        cpu = CpuShare(server_pid)
        start.set()
        changed = await asyncio.gather(*tasks, return_exceptions=True)
        good = [t for t in changed if not isinstance(t, BaseException)]
        for e in [t for t in changed if isinstance(t, BaseException)][:1]:
            print(f"    (first failure: {type(e).__name__}: {str(e).splitlines()[0][:120]})")
        report(f"{label} filter", n, good, FILTER_TARGET, len(ok) - len(good))
        print(cpu.line(), flush=True)
    finally:
        for c in contexts:
            await c.close()


# ---------------------------------------------------------------- the server alone (no browser)

async def _protocol_run(ws, widgets=()) -> tuple[float, dict]:
    """One run of the app over Streamlit's own websocket protocol, as a browser asks for it: the time until
    the run has finished, and what it drew (the scorecard's rows, the locality choice's id, a clear button)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.context_info.timezone = "Europe/London"
    msg.rerun_script.widget_states.widgets.extend(widgets)
    t0 = time.perf_counter()
    await ws.send(msg.SerializeToString())
    seen = {"rows": 0, "locality": None, "cleared": False}
    while True:
        fm = ForwardMsg()
        fm.ParseFromString(await ws.recv())
        kind = fm.WhichOneof("type")
        if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            which = el.WhichOneof("type")
            if which == "markdown" and el.markdown.body.startswith("| Indicator |"):
                seen["rows"] = el.markdown.body.count("\n") - 1
            elif which == "multiselect" and el.multiselect.label == "Locality":
                seen["locality"] = el.multiselect.id
            elif which == "button" and "clear_locality" in el.button.id:
                seen["cleared"] = True
        elif kind == "script_finished" and fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            return time.perf_counter() - t0, seen


def _fetch_page_assets(url: str) -> int:
    """What a browser with an empty cache fetches before it connects: the page and the scripts, styles and
    fonts it names (gzip accepted, as a browser does). Returns the bytes received."""
    import re
    import urllib.request

    def get(path: str) -> bytes:
        req = urllib.request.Request(f"{url}/{path.lstrip('./')}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=TIMEOUT_MS / 1000) as r:
            return r.read()

    page = get("/")
    assets = re.findall(rb'(?:src|href)="\./(static/[^"]+)"', page)
    return len(page) + sum(len(get(a.decode())) for a in assets)


async def _protocol_session(url: str, rows: int, start: asyncio.Event, opened: list, changed: list) -> None:
    import websockets
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    t0 = time.perf_counter()
    await asyncio.to_thread(_fetch_page_assets, url)
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                  origin=url, max_size=None, open_timeout=TIMEOUT_MS / 1000) as ws:
        _, seen = await _protocol_run(ws)
        if seen["rows"] != rows or not seen["locality"]:
            raise RuntimeError(f"the overview did not draw its {rows} rows: {seen}")
        opened.append(time.perf_counter() - t0)
        await start.wait()
        north = WidgetState(id=seen["locality"])
        north.string_array_value.data.append("North")
        took, seen = await _protocol_run(ws, [north])
        if seen["rows"] != rows or not seen["cleared"]:
            raise RuntimeError(f"the filtered overview was not drawn: {seen}")
        changed.append(took)


async def protocol_wave(url: str, n: int, rows: int, label: str, server_pid: int) -> None:
    """N sessions with no browser: each fetches the page and its assets as an empty-cache browser does, then
    speaks Streamlit's websocket protocol (open: until the overview's run has finished with its rows; then
    all choose North at once). What the server takes for a crowd whose browsers run on their own machines."""
    opened, changed, start = [], [], asyncio.Event()
    cpu = CpuShare(server_pid)
    tasks = [asyncio.create_task(_protocol_session(url, rows, start, opened, changed)) for _ in range(n)]
    while len(opened) < n and not any(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    report(f"{label} open", n, opened, OPEN_TARGET, n - len(opened))
    print(cpu.line(), flush=True)
    await asyncio.sleep(1.0)
    cpu = CpuShare(server_pid)
    start.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for e in [r for r in results if isinstance(r, BaseException)][:1]:
        print(f"    (first failure: {type(e).__name__}: {str(e).splitlines()[0][:160]})")
    report(f"{label} filter", n, changed, FILTER_TARGET, n - len(changed))
    print(cpu.line(), flush=True)


async def main(ns: list[int], floor: bool = False, protocol: bool = False) -> None:
    from playwright.async_api import async_playwright

    from yj_metrics.indicators import HEADLINE
    from yj_metrics.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    template = tmp / "demo.db"
    Store(f"sqlite:///{template}").ensure_demo()  # the default demo, as a first start loads it
    if protocol:
        for n in ns:
            db = tmp / f"n{n}.db"
            shutil.copy(template, db)
            url, proc = start_server(db, tmp)
            print(f"N={n}: fresh server {url} (board role, default demo), SERVER ALONE: {n} sessions over "
                  "the websocket protocol, no browser", flush=True)
            try:
                await protocol_wave(url, n, len(HEADLINE), "cold", proc.pid)
                await protocol_wave(url, n, len(HEADLINE), "warm", proc.pid)
            finally:
                stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for n in ns:
                db = tmp / f"n{n}.db"
                shutil.copy(template, db)
                if floor:
                    script = tmp / "floor_app.py"
                    script.write_text(FLOOR_APP)
                    url, proc = start_server(db, tmp, str(script))
                    print(f"N={n}: fresh server {url}, the FLOOR (a bare Streamlit page, nothing computed)", flush=True)
                else:
                    url, proc = start_server(db, tmp)
                    print(f"N={n}: fresh server {url} (board role, default demo)", flush=True)
                try:
                    await wave(browser, url, n, len(HEADLINE), "cold", proc.pid)
                    await wave(browser, url, n, len(HEADLINE), "warm", proc.pid)
                finally:
                    stop(proc)
        finally:
            await browser.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main([int(a) for a in args if not a.startswith("--")] or [5, 10, 20], floor="--floor" in args,
                     protocol="--protocol" in args))
