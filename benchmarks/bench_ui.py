"""Dashboard speed: start-up, a large period, sorting/filtering, and UI gaps during a sync.

    python benchmarks/bench_ui.py [--cache LARGE.sqlite3] [--small MANY.sqlite3] [--pairs 11]
        [--opens 7] [--sync-accounts 200] [--json] [--save]

- start-up: subprocesses, each exits on its first frame with the period rows
  shown (`payg-tui` exactly: the CLI parser, then `run_dashboard`), in turn
  with a bare Textual app (hello + footer) that exits on its first frame;
  the ratio is the median of the paired ratios.
- large period: Enter on the newest period of `--cache` (about 15,000 lines for
  the large reseller), with a fresh `Books` each time, and no resale.toml
  (then again with one; and both ways on the 24-month cache, whose 24
  periods are priced in the background): "cold" (Enter at once,
  the report is built after Enter) and "warm" (the cursor rested on the period,
  so the list built its report ahead). Times from Enter to the first paint of
  the period screen, to the report, to the table painted, and the UI thread's
  longest pause meanwhile; then page-down frames, a sort and a filter. Each
  figure is the median of `--opens` such opens, each in a fresh process.
- sync: a sandbox with `--sync-accounts` accounts, an empty cache; a 10 ms
  timer on the UI thread records the longest gap between its ticks.

The caches default to the ones bench_engine.py builds: the 5,000-account
month (large period) and 24 months of the same reseller (start-up).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Results, add_output_options, median, python_child_env, run_child

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
args = build_parser([]).parse_args([])
from payg_tui.ui.app import run_dashboard
raise SystemExit(run_dashboard(demo=args.demo, headless=True, size=(120, 36), exit_when_loaded=True))
"""


def bench_startup(cache: Path, pairs: int) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="payg-bench-"))
    shutil.copyfile(cache, scratch / "cache.sqlite3")  # where run_dashboard looks; leaves `cache` alone
    # Both apps run from bytecode, as an installed payg-tui does (python_child_env): with
    # PYTHONDONTWRITEBYTECODE set, textual would use its installed .pyc files while every
    # edited payg_tui module was compiled again on each run.
    env = python_child_env(PAYG_TUI_CONFIG_DIR=str(scratch), PAYG_TUI_CACHE_DIR=str(scratch),
                           PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
    env.pop("PAYG_API_URL", None)
    env.pop("PAYG_API_TOKEN", None)
    minimal_cmd = [sys.executable, "-c", MINIMAL]
    dashboard_cmd = [sys.executable, "-c", DASHBOARD]
    run_child(minimal_cmd, env)  # warm the file cache and bytecode
    run_child(dashboard_cmd, env)  # and, if the saved period summaries are missing, compute them once
    run_child(dashboard_cmd, env)  # a first open after a change checks the file once
    minimal, dashboard = [], []
    for _ in range(pairs):  # in turn, so both see the same machine load
        minimal.append(run_child(minimal_cmd, env))
        dashboard.append(run_child(dashboard_cmd, env))
    shutil.rmtree(scratch, ignore_errors=True)
    return {"minimal": minimal, "dashboard": dashboard,
            "ratios": [d.wall / m.wall for m, d in zip(minimal, dashboard, strict=True)],
            "cpu_ratios": [d.cpu / m.cpu for m, d in zip(minimal, dashboard, strict=True)]}


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
    from textual.worker import WorkerCancelled

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
            for worker in list(app.workers):  # one replaced by a newer one is cancelled: expected
                with contextlib.suppress(WorkerCancelled):
                    await worker.wait()
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


def _opens(cache: Path, count: int, config: Path) -> list[dict[str, float]]:
    """`bench_large` `count` times, each in a fresh process (median, not one lucky or unlucky open).

    `config` is the config folder the dashboard reads (with or without a resale.toml),
    never the user's own.
    """
    cmd = [sys.executable, __file__, "--open-once", str(cache)]
    env = python_child_env(PAYG_TUI_CONFIG_DIR=str(config))
    return [json.loads(run_child(cmd, env, keep_output=True).out) for _ in range(count)]


def _spread(opens: list[dict[str, float]], key: str) -> str:
    values = [o[key] for o in opens]
    return f"{min(values):.3f}-{max(values):.3f} s over {len(values)} opens"


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="the large reseller's month (default: "
                        "bench_engine's 5,000-account month)")
    parser.add_argument("--small", type=Path, help="a cache with many periods for the start-up "
                        "(default: bench_engine's 24 months)")
    parser.add_argument("--pairs", type=int, default=11, help="start-up runs of each app, in turn")
    parser.add_argument("--sync-accounts", type=int, default=200)
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--opens", type=int, default=7, help="large-period opens (fresh processes)")
    parser.add_argument("--open-once", type=Path, help=argparse.SUPPRESS)  # one open, in a child
    add_output_options(parser)
    args = parser.parse_args()
    if args.open_once:
        print(json.dumps(asyncio.run(bench_large(args.open_once))))
        return 0
    from bench_engine import month_cache, months24_cache
    from bench_statements import prepare

    def resale_config() -> Path:
        return prepare()[1]  # bench_statements' price list (every rule, discounts, a sell price)

    large = args.cache or month_cache(5000)
    many = args.small or months24_cache()
    results = Results("ui", "Dashboard", args)
    bare = "a bare Textual app (hello + footer)"
    startups = {many: "startup_many", large: "startup_large"}  # one run when both are the same
    for cache, key in startups.items():
        runs = bench_startup(cache, args.pairs)
        dash, minimal = runs["dashboard"], runs["minimal"]
        results.ratio(key, f"start to the period rows painted, cache {cache.parent.name}",
                      median([r.wall for r in dash]), median([r.wall for r in minimal]), "s",
                      1.3, bare, ratios=runs["ratios"],
                      note=f"CPU ratio {median(runs['cpu_ratios']):.2f}")
    no_config = Path(tempfile.mkdtemp(prefix="payg-bench-config-"))  # no resale.toml: costs only
    opens = _opens(large, args.opens, no_config)
    opened = {key: median([o[key] for o in opens]) for key in opens[0]}
    lines = f"{opened['lines']:,.0f} lines"

    def spread(key: str) -> str:
        return _spread(opens, key)

    results.target("cold_first_paint", f"large period ({lines}), cold: Enter to first paint",
                   opened["cold_first_paint_s"], "s", 0.5, note=spread("cold_first_paint_s"))
    results.target("cold_table_painted", f"large period ({lines}), cold: Enter to the table "
                   "painted", opened["cold_table_painted_s"], "s", 0.5,
                   note=f"{spread('cold_table_painted_s')}; report built on the worker in "
                        f"{opened['cold_report_worker_s']:.2f} s")
    # With a price list the app works out every period's revenue in the background
    # from the first frame; on the 24-month cache there are 24 periods to price (and
    # its newest month's report is slower to build: compare it without a price list).
    with_resale = _opens(large, args.opens, resale_config())
    results.target("cold_table_painted_resale", "the same, with resale.toml: Enter to the table "
                   "painted", median([o["cold_table_painted_s"] for o in with_resale]), "s", 0.5,
                   note=f"{_spread(with_resale, 'cold_table_painted_s')}; while the revenue is "
                        "worked out in the background")
    for label, config in (("without", no_config), ("with", resale_config())):
        found = _opens(many, args.opens, config)
        results.figure(f"cold_table_painted_many_{label}", f"newest period of {many.parent.name}, "
                       f"cold, {label} resale.toml: Enter to the table painted",
                       median([o["cold_table_painted_s"] for o in found]), "s",
                       note=_spread(found, "cold_table_painted_s"))
    shutil.rmtree(no_config, ignore_errors=True)
    results.figure("warm_table_painted", "large period, warm (report built ahead): Enter to "
                   "the table painted", opened["warm_table_painted_s"], "s",
                   note=f"first paint {opened['warm_first_paint_s']:.3f} s")
    results.figure("ahead_build", "building the report ahead (worker)", opened["ahead_build_s"],
                   "s")
    results.figure("longest_gap_cold", "longest UI-thread pause while a period opens, cold",
                   opened["cold_ui_longest_gap_s"], "s",
                   note=f"warm {opened['warm_ui_longest_gap_s']:.3f} s")
    results.figure("pagedown", f"page-down frame, {opened['account_rows']:,.0f} account rows "
                   "(median of 20)", opened["pagedown_frame_median_s"], "s")
    results.figure("sort", "sort the account rows by amount", opened["sort_s"], "s")
    results.figure("filter", "filter: first keystroke (builds the search index)",
                   opened["filter_first_s"], "s", note=f"next ones {opened['filter_next_s']:.3f} s")
    if not args.skip_sync:
        synced = asyncio.run(bench_sync(args.sync_accounts))
        results.target("sync_gap", f"longest UI-thread gap during a sync of {args.sync_accounts:,} "
                       "accounts (10 ms timer)", synced["max_gap_s"], "s", 0.1,
                       note=f"p99 {synced['p99_gap_s']:.3f} s, sync {synced['sync_s']:.1f} s")
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())
