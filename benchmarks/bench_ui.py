"""Dashboard speed: start-up, a large period, sorting/filtering, and UI gaps during a sync.

    /work/venv/bin/python benchmarks/bench_ui.py --cache LARGE.sqlite3 [--small SMALL.sqlite3]
        [--runs 7] [--sync-accounts 200]

- start-up: subprocesses, each exits on its first frame with the period rows
  shown; compared with a minimal Textual app that exits on its first frame,
  in the same run; medians.
- large period: Enter on the newest period of `--cache` (about 15,000 lines for
  the large reseller): time to the first paint of the period screen, to the
  report (engine, worker thread), to the table painted; then page-down frames,
  a sort and a filter of the account lines.
- sync: a sandbox with `--sync-accounts` accounts, an empty cache; a 10 ms
  timer on the UI thread records the longest gap between its ticks.

Build a large cache with the generator (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

DASHBOARD = """
import time; t0 = time.perf_counter()
from pathlib import Path
from payg_tui.books import Books
from payg_tui.config import load_config
from payg_tui.ui.app import PaygApp
class Timed(PaygApp):
    def on_mount(self):
        super().on_mount()
        self.watch(self, "loaded", lambda done: done and self.call_after_refresh(self.exit))
config = load_config()
with Books.open_cache(Path({path!r})) as books:
    Timed(books, config=config, auto_sync=False).run(headless=True, size=(120, 36))
"""


def run_script(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_startup(cache: Path, runs: int) -> dict[str, float]:
    import os

    scratch = Path(tempfile.mkdtemp(prefix="payg-bench-"))
    env = dict(os.environ, PAYG_TUI_CONFIG_DIR=str(scratch), PAYG_TUI_CACHE_DIR=str(scratch))
    env.pop("PAYG_API_URL", None)
    env.pop("PAYG_API_TOKEN", None)
    minimal, dashboard = [], []
    run_script(MINIMAL, env)  # warm the file cache and bytecode
    run_script(DASHBOARD.format(path=str(cache)), env)
    for _ in range(runs):  # interleaved, so both see the same machine load
        minimal.append(run_script(MINIMAL, env))
        dashboard.append(run_script(DASHBOARD.format(path=str(cache)), env))
    shutil.rmtree(scratch, ignore_errors=True)
    low, high = statistics.median(minimal), statistics.median(dashboard)
    return {"minimal_s": low, "dashboard_s": high, "ratio": high / low}


async def bench_large(cache: Path) -> dict[str, float]:
    from payg_tui.books import Books
    from payg_tui.ui.app import PaygApp
    from payg_tui.ui.screens.period import PeriodScreen
    from payg_tui.ui.widgets.table import VirtualTable

    results: dict[str, float] = {}
    with Books.open_cache(cache) as books:
        app = PaygApp(books, auto_sync=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            started = time.perf_counter()
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, PeriodScreen)
            results["first_paint_s"] = time.perf_counter() - started
            while screen.report is None:
                await pilot.pause(0.01)
            await pilot.pause()
            results["report_ready_s"] = time.perf_counter() - started
            results["report_worker_s"] = screen.load_seconds or 0.0
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
    from payg_tui.books import Books
    from payg_tui.config import Config
    from payg_tui.sources.sandbox import start_sandbox
    from payg_tui.ui.app import PaygApp

    scratch = Path(tempfile.mkdtemp(prefix="payg-bench-sync-"))
    server = start_sandbox(accounts=accounts, seed=5, token="bench-token")
    gaps: list[float] = []
    try:
        with Books.open_cache(scratch / "cache.sqlite3", create=True) as books:
            app = PaygApp(books, config=Config(api_url=server.url, api_token="bench-token"),
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
        server.shutdown()
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
