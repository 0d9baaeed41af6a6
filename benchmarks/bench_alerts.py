"""Benchmark of issue 14: `payg-tui alerts` on the large reseller's month, target <= 1 s.

    python benchmarks/bench_alerts.py [--runs N] [--json] [--save]

Uses (and builds once, like bench_engine.py) the month-5000 cache: 5,000
accounts and about 7,500 add-ons, hourly in Europe/Brussels, 2026-08 whole
(14,643 report lines). Times the real console command in fresh processes,
from start to exit, stdout to /dev/null: the median wall time of N runs after
one warm-up, and the peak RSS of the child. Prints the figure and ok / not ok.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_engine import MONTH_END, month_cache  # noqa: E402
from common import DATA, Results, add_output_options, median, python_child_env, run_child  # noqa: E402

from payg_tui.engine.model import slot_time  # noqa: E402

TARGET = 1.0  # seconds
# Half an hour after the newest snapshot: fresh data, so every alert comes from the month itself.
NOW = (slot_time(MONTH_END - 1) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    add_output_options(parser)
    args = parser.parse_args()
    month = month_cache(5000).parent
    env = python_child_env(PAYG_TUI_CACHE_DIR=str(month),
                           PAYG_TUI_CONFIG_DIR=str(DATA / "no-config"))
    env.pop("PAYG_ALERTS_WEBHOOK", None)
    cmd = [sys.executable, "-m", "payg_tui.cli", "alerts", "--now", NOW, "--within", "24",
           "--format", "json"]
    found = json.loads(run_child(cmd, env, ok_codes=(0, 1), keep_output=True).out)["alerts"]
    run_child(cmd, env, ok_codes=(0, 1))  # warm the OS page cache and Python's bytecode cache
    samples = [run_child(cmd, env, ok_codes=(0, 1)) for _ in range(args.runs)]
    walls = [s.wall for s in samples]
    results = Results("alerts", "Alerts on the large reseller", args)
    results.target("alerts", f"`alerts --now {NOW} --within 24 --format json`, 5,000 accounts "
                   f"({len(found)} alerts)", median(walls), "s", TARGET,
                   note=f"{min(walls):.2f}-{max(walls):.2f} s over {len(walls)} runs, CPU "
                        f"{median([s.cpu for s in samples]):.2f} s, peak RSS "
                        f"{max(s.rss_mb for s in samples):.0f} MB")
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())
