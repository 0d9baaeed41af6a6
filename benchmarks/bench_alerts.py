"""Benchmark of issue 14: `payg-tui alerts` on the large reseller's month, target <= 1 s.

    python benchmarks/bench_alerts.py [--runs N]

Uses (and builds once, like bench_engine.py) bench-data/month-5000: 5,000
accounts and about 7,500 add-ons, hourly in Europe/Brussels, 2026-08 whole
(14,643 report lines). Times the real console command in fresh processes,
from start to exit, stdout to /dev/null: the median wall time of N runs after
one warm-up, and the peak RSS of the child. Prints the figure and ok / not ok.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_engine import DATA, MONTH_END, MONTH_START, build_cache  # noqa: E402

from payg_tui.engine.model import slot_time  # noqa: E402

TARGET = 1.0  # seconds
# Half an hour after the newest snapshot: fresh data, so every alert comes from the month itself.
NOW = (slot_time(MONTH_END - 1) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall and CPU seconds and peak RSS (MB) of one fresh process; exit 0 or 1 (alerts) is a success.

    CPU (user + system) is printed too: on a shared machine the wall time
    follows the load average, the CPU time much less.
    """
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "w = time.perf_counter() - t\n"
        "assert r.returncode in (0, 1), r.stderr.decode()\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(w, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], env=env, capture_output=True, text=True,
                         check=True)
    wall, cpu, rss = out.stdout.split()
    return float(wall), float(cpu), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    month = DATA / "month-5000"
    build_cache(month / "cache.sqlite3", 5000, MONTH_START, MONTH_END)
    env = {**os.environ, "PAYG_TUI_CACHE_DIR": str(month), "PAYG_TUI_CONFIG_DIR": str(DATA / "no-config")}
    env.pop("PAYG_ALERTS_WEBHOOK", None)
    cmd = [sys.executable, "-m", "payg_tui.cli", "alerts", "--now", NOW, "--within", "24",
           "--format", "json"]
    found = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True).stdout)["alerts"]
    timed(cmd, env)  # warm the OS page cache and Python's bytecode cache
    samples = [timed(cmd, env) for _ in range(args.runs)]
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    rss = max(s[2] for s in samples)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}, median of {args.runs} runs")
    print(f"alerts --now {NOW} --within 24 --format json on 5,000 accounts "
          f"({len(found)} alerts): {wall:.2f} s wall (min {min(s[0] for s in samples):.2f}, "
          f"max {max(s[0] for s in samples):.2f}), CPU {cpu:.2f} s, peak RSS {rss:.0f} MB")
    print(f"target <= {TARGET:.1f} s: {'ok' if wall <= TARGET else 'not ok'}")


if __name__ == "__main__":
    main()
