"""Dashboard speed: start-up, a large period, sorting/filtering, and UI gaps during a sync.

    /work/venv/bin/python benchmarks/bench_ui.py --cache LARGE.sqlite3 [--small SMALL.sqlite3]
        [--runs 7] [--sync-accounts 200]

- start-up: subprocesses, each exits on its first frame with the period rows
  shown; compared with a minimal Textual app that exits on its first frame,
  in the same run; medians.
- large period: Enter on the newest period of `--cache` (about 15,000 lines for
  the large reseller), with a fresh `Books` each time: "cold" (Enter at once,
  the report is built after Enter) and "warm" (the cursor rested on the period,
  so the list built its report ahead). Times from Enter to the first paint of
  the period screen, to the report, to the table painted, and the UI thread's
  longest pause meanwhile; then page-down frames, a sort and a filter.
- sync: a sandbox with `--sync-accounts` accounts, an empty cache; a 10 ms
  timer on the UI thread records the longest gap between its ticks.

Build a large cache with the generator (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MINIMAL = """
import time; t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Static
class Minimal(App):
    def compose(self):
        yield Static("hello"); yield Footer()
    def on_mount(self):
        self.call_after_refresh(self.exit)
Minimal().run(headless=True, size=(120, 36))
"""

# Exactly what `payg-tui` does (cli.main -> run_dashboard), the cache found through
# PAYG_TUI_CACHE_DIR, no terminal, and quit on the first frame that shows the period rows.
DASHBOARD = """
import time; t0 = time.perf_counter()
from payg_tui.cli import build_parser
args = build_parser().parse_args([])
from payg_tui.ui.app import run_dashboard
raise SystemExit(run_dashboard(demo=args.demo, headless=True, size=(120, 36), exit_when_loaded=True))
"""


def run_script(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_startup(cache: Path, runs: int) -> dict[str, float]:
    import os

    scratch = Path(tempfile.mkdtemp(prefix="payg-bench-"))
    shutil.copyfile(cache, scratch / "cache.sqlite3")  # where run_dashboard looks; leaves `cache` alone
    env = dict(os.environ, PAYG_TUI_CONFIG_DIR=str(scratch), PAYG_TUI_CACHE_DIR=str(scratch))
    env.pop("PAYG_API_URL", None)
    env.pop("PAYG_API_TOKEN", None)
    # Both apps run from bytecode, as an installed payg-tui does: with PYTHONDONTWRITEBYTECODE
    # set, textual would use its installed .pyc files while every edited payg_tui module was
    # compiled again on each run. The warm-up runs write the bytecode of both to the scratch dir.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    minimal, dashboard = [], []
    run_script(MINIMAL, env)  # warm the file cache and bytecode
    run_script(DASHBOARD, env)  # and, if the saved period summaries are missing, compute them once
    for _ in range(runs):  # interleaved, so both see the same machine load
        minimal.append(run_script(MINIMAL, env))
        dashboard.append(run_script(DASHBOARD, env))
    shutil.rmtree(scratch, ignore_errors=True)
    low, high = statistics.median(minimal), statistics.median(dashboard)
    return {"minimal_s": low, "dashboard_s": high, "ratio": high / low}


async def _open_newest(app: Any, results: dict[str, float], prefix: str) -> Any:
    """Enter on the highlighted (newest) period; time the first paint, the report, the filled table."""
    from payg_tui.ui.screens.period import PeriodScreen
    from payg_tui.ui.widgets.table import VirtualTable

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:  # the longest pause of the UI thread while the period opens
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    async def painted(screen: Any) -> None:
        done = asyncio.Event()
        screen.call_after_refresh(done.set)
        await done.wait()

    table = app.screen.query_one("#periods", VirtualTable)
    ticker = app.set_interval(0.01, tick)
    started = last[0] = time.perf_counter()
    table.action_select()  # what Enter does
    while not isinstance(app.screen, PeriodScreen):
        await asyncio.sleep(0.001)
    screen = app.screen
    await painted(screen)
    results[f"{prefix}first_paint_s"] = time.perf_counter() - started
    while screen.report is None:
        await asyncio.sleep(0.002)
    results[f"{prefix}report_ready_s"] = time.perf_counter() - started
    await painted(screen)
    results[f"{prefix}table_painted_s"] = time.perf_counter() - started
    ticker.stop()
    results[f"{prefix}report_worker_s"] = screen.load_seconds or 0.0
    results[f"{prefix}ui_longest_gap_s"] = max(gaps, default=0.0)
    return screen


async def bench_large(cache: Path) -> dict[str, float]:
    """Open the newest period twice, each time with a fresh `Books` (nothing remembered):

    - cold: Enter as soon as the list shows, before the report could be built ahead;
    - warm: the cursor has rested on the period first, so the report was built ahead.
    """
    from payg_tui.service.books import Books
    from payg_tui.ui.app import PaygApp
    from payg_tui.ui.screens.periods import REST
    from payg_tui.ui.widgets.table import VirtualTable

    results: dict[str, float] = {}
    with Books.open_cache(cache) as books:
        app = PaygApp(books, auto_sync=False)
        async with app.run_test(size=(120, 36)):
            while not app.loaded:
                await asyncio.sleep(0.002)
            results["cold_built_ahead"] = float(app.built_ahead is not None)
            await _open_newest(app, results, "cold_")
            await app.workers.wait_for_complete()
    gc.collect()  # the first app's reports are garbage now: do not time their collection below
    with Books.open_cache(cache) as books:
        app = PaygApp(books, auto_sync=False)
        async with app.run_test(size=(120, 36)) as pilot:
            while not app.loaded:
                await asyncio.sleep(0.002)
            started = time.perf_counter()
            await asyncio.sleep(REST)
            while app.built_ahead is None:
                await asyncio.sleep(0.005)
            results["ahead_build_s"] = time.perf_counter() - started - REST
            results["warm_built_ahead"] = float(app.built_ahead == app.periods[0].period.key)
            screen = await _open_newest(app, results, "warm_")
            assert screen.report is not None
            results["lines"] = float(len(screen.report.lines))
            table = screen.query_one("#accounts-table", VirtualTable)
            results["account_rows"] = float(len(table.rows))
            frames = []
            for _ in range(20):
                t = time.perf_counter()
                await pilot.press("pagedown")
                frames.append(time.perf_counter() - t)
            results["pagedown_frame_median_s"] = statistics.median(frames)
            t = time.perf_counter()
            table.sort_by("amount")
            results["sort_s"] = time.perf_counter() - t
            await pilot.pause()
            t = time.perf_counter()
            table.set_filter("bakkerij")
            results["filter_first_s"] = time.perf_counter() - t  # builds the search index once
            t = time.perf_counter()
            table.set_filter("bakkerijc")
            results["filter_next_s"] = time.perf_counter() - t
            table._cache.clear()
            t = time.perf_counter()
            for y in range(36):
                table.render_line(y)
            results["render_screen_uncached_s"] = time.perf_counter() - t
    return results


async def bench_sync(accounts: int) -> dict[str, float]:
    from payg_tui.config import Config
    from payg_tui.service.books import Books
    from payg_tui.ui.app import PaygApp

    scratch = Path(tempfile.mkdtemp(prefix="payg-bench-sync-"))
    # The sandbox runs in its own process, as a real API would: in this process
    # its JSON and gzip work would compete with the UI thread for the GIL.
    server = subprocess.Popen(
        [sys.executable, "-m", "payg_tui.cli", "sandbox", "--accounts", str(accounts), "--seed", "5",
         "--token", "bench-token", "--quiet"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdout is not None
    url = next(line.split()[1] for line in server.stdout if line.startswith("url:"))
    gaps: list[float] = []
    try:
        with Books.open_cache(scratch / "cache.sqlite3", create=True) as books:
            app = PaygApp(books, config=Config(api_url=url, api_token="bench-token"),
                          auto_sync=False)
            async with app.run_test(size=(120, 36)) as pilot:
                await app.workers.wait_for_complete()
                last = [time.perf_counter()]

                def tick() -> None:
                    now = time.perf_counter()
                    if app.syncing:
                        gaps.append(now - last[0])
                    last[0] = now

                app.set_interval(0.01, tick)
                started = time.perf_counter()
                await pilot.press("s")
                while app.syncing:
                    await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
                await app.workers.wait_for_complete()
                await pilot.pause()
                hours = sum(s.hours_observed for s in app.periods)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    gaps.sort()
    return {"sync_s": elapsed, "hours_in_periods": float(hours), "ticks": float(len(gaps)),
            "max_gap_s": gaps[-1] if gaps else 0.0,
            "p99_gap_s": gaps[int(len(gaps) * 0.99)] if gaps else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="the large reseller's cache")
    parser.add_argument("--small", type=Path, help="a typical cache for the start-up ratio")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sync-accounts", type=int, default=200)
    args = parser.parse_args()
    for label, cache in (("small", args.small), ("large", args.cache)):
        if cache is not None:
            print(f"start-up ({label} cache):", {k: round(v, 3) for k, v in
                                                bench_startup(cache, args.runs).items()})
    print("large period:", {k: round(v, 4) for k, v in asyncio.run(bench_large(args.cache)).items()})
    print("sync:", {k: round(v, 4) for k, v in asyncio.run(bench_sync(args.sync_accounts)).items()})


if __name__ == "__main__":
    main()
