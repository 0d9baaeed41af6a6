"""Offline commands on the large reseller: import, report and periods (docs/performance.md).

    python benchmarks/bench_engine.py [--runs 5] [--only import|report|periods] [--json] [--save]

Builds once (under $PAYG_BENCH_DATA, see common.py) caches of the generated
large reseller (seed 7, hourly, Europe/Brussels): the month 2026-08 with
5,000 and with 20,000 accounts, and 24 months (2025-01 to 2026-12) with 5,000
accounts; and a dump file of a 1,000-account month. Then it times the real
console commands in fresh processes (wall time, CPU time and peak RSS of each
child; the median of `--runs` runs after one warm-up):

- `import FILE` into an empty cache, against a process that only
  `json.load`s the same file, run in turn (pairs): time and peak memory ratios;
- `report 2026-08 --format json` at 5,000 and 20,000 accounts;
- `periods` over 24 months, first with the saved summaries dropped (the
  first run after new data) and then with them (every later run).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DATA,
    ROOT,
    Results,
    Run,
    add_output_options,
    build_cache,
    build_file,
    median,
    python_child_env,
    run_child,
)

sys.path.insert(0, str(ROOT))

from payg_tui.engine.model import slot_of
from payg_tui.store import summaries

MONTH = "2026-08"  # 744 hours in Europe/Brussels
MONTH_START = slot_of(datetime(2026, 7, 31, 22, tzinfo=UTC))
MONTH_END = MONTH_START + 744
# 24 billing periods, 2025-01 to 2026-12 (the generator's history starts at 2025-01-01T00Z).
MONTHS24_START = slot_of(datetime(2025, 1, 1, 0, tzinfo=UTC))
MONTHS24_END = slot_of(datetime(2026, 12, 31, 23, tzinfo=UTC))
CLI = [sys.executable, "-m", "payg_tui.cli"]


def month_cache(accounts: int) -> Path:
    return build_cache(DATA / f"month-{accounts}" / "cache.sqlite3", accounts, MONTH_START,
                       MONTH_END)


def months24_cache() -> Path:
    return build_cache(DATA / "months24-5000" / "cache.sqlite3", 5000, MONTHS24_START,
                       MONTHS24_END)


def dump_file() -> Path:
    def write(path: Path) -> None:
        from payg_tui.sandbox.generator import Reseller

        reseller = Reseller(seed=11, accounts=1000, timezone="Europe/Brussels")
        path.write_text(json.dumps(reseller.dump(MONTH_START, MONTH_END)))

    return build_file(DATA / "import-1000.json", write)


def runs_of(count: int, cmd: list[str], env: dict[str, str],
            before: Callable[[], None] | None = None) -> list[Run]:
    run_child(cmd, env)  # warm the OS page cache and the bytecode
    samples = []
    for _ in range(count):
        if before is not None:
            before()
        samples.append(run_child(cmd, env))
    return samples


def bench_import(results: Results, runs: int) -> None:
    dump = dump_file()
    load = [sys.executable, "-c",
            "import json, sys\nwith open(sys.argv[1], 'rb') as f: json.load(f)", str(dump)]
    env = python_child_env()
    loads, imports = [], []
    run_child(load, env)
    for _ in range(runs):  # in turn, so that both see the same load
        loads.append(run_child(load, env))
        with tempfile.TemporaryDirectory() as cache:
            imports.append(run_child([*CLI, "import", str(dump)],
                                     env | {"PAYG_TUI_CACHE_DIR": cache, "PAYG_TUI_CONFIG_DIR": cache}))
    size = dump.stat().st_size / 2**20
    what = f"`import` of a 1,000-account month ({size:.0f} MB of JSON)"
    base = "`json.load` of the file"
    results.ratio("import_time", f"{what}, wall time", median([r.wall for r in imports]),
                  median([r.wall for r in loads]), "s", 2.0, base,
                  ratios=[i.wall / b.wall for i, b in zip(imports, loads, strict=True)])
    results.ratio("import_rss", f"{what}, peak RSS", median([r.rss_mb for r in imports]),
                  median([r.rss_mb for r in loads]), "MB", 1.2, base,
                  ratios=[i.rss_mb / b.rss_mb for i, b in zip(imports, loads, strict=True)])


def bench_report(results: Results, runs: int) -> None:
    for accounts, limit in ((5000, 1.0), (20000, 1.5)):
        cache = month_cache(accounts)
        env = python_child_env(PAYG_TUI_CACHE_DIR=str(cache.parent))
        cmd = [*CLI, "report", MONTH, "--format", "json"]
        lines = len(json.loads(run_child(cmd, env, keep_output=True).out)["lines"])
        samples = runs_of(runs, cmd, env)
        results.target(f"report_{accounts}",
                       f"`report {MONTH} --format json`, {accounts:,} accounts ({lines:,} lines)",
                       median([s.wall for s in samples]), "s", limit,
                       note=_spread(samples))


def bench_periods(results: Results, runs: int) -> None:
    cache = months24_cache()
    env = python_child_env(PAYG_TUI_CACHE_DIR=str(cache.parent))

    def forget() -> None:
        with sqlite3.connect(cache) as db:
            db.execute("DELETE FROM meta WHERE key = ?", (summaries.META_KEY,))

    first = runs_of(runs, [*CLI, "periods"], env, forget)
    results.target("periods_first", "`periods` over 24 months, summaries computed "
                   "(the first run after new data)", median([s.wall for s in first]), "s", 3.0,
                   note=_spread(first))
    later = runs_of(runs, [*CLI, "periods"], env)
    results.figure("periods_saved", "`periods` over 24 months, summaries saved (later runs)",
                   median([s.wall for s in later]), "s", note=_spread(later))


def _spread(samples: list[Run]) -> str:
    walls = [s.wall for s in samples]
    return (f"{min(walls):.2f}-{max(walls):.2f} s over {len(walls)} runs, CPU "
            f"{median([s.cpu for s in samples]):.2f} s, peak RSS "
            f"{max(s.rss_mb for s in samples):.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("import", "report", "periods"))
    add_output_options(parser)
    args = parser.parse_args()
    name = "engine" if args.only is None else f"engine-{args.only}"
    results = Results(name, "Offline commands on the large reseller", args)
    if args.only in (None, "import"):
        bench_import(results, args.runs)
    if args.only in (None, "report"):
        bench_report(results, args.runs)
    if args.only in (None, "periods"):
        bench_periods(results, args.runs)
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())
