"""Benchmarks of issue 2: import, report and periods on a large reseller.

    python benchmarks/bench_engine.py [--quick] [--runs N]

Builds (once, under bench-data/, git-ignored) caches of the generated large
reseller: 5,000 accounts and about 7,500 add-ons, hourly in Europe/Brussels,
one month and twelve months. Then it times the real console commands in fresh
processes (wall time and peak RSS of the child), and `import` against
`json.load` of the same file in the same run. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from payg_tui.engine.model import slot_of  # noqa: E402
from payg_tui.providers.payload import parse_products, parse_provider, parse_snapshot  # noqa: E402
from payg_tui.sandbox.generator import Reseller  # noqa: E402
from payg_tui.store import summaries  # noqa: E402
from payg_tui.store.cache import Store  # noqa: E402

DATA = ROOT / "bench-data"
MONTH = "2026-08"  # 744 hours in Europe/Brussels
MONTH_START = slot_of(datetime(2026, 7, 31, 22, tzinfo=UTC))
MONTH_END = MONTH_START + 744
YEAR_START = slot_of(datetime(2025, 8, 31, 22, tzinfo=UTC))  # 2025-09 .. 2026-08 local


def build_cache(path: Path, accounts: int, first: int, end: int) -> None:
    if path.exists():
        return
    print(f"building {path.name}: {accounts} accounts, {end - first} hours ...", file=sys.stderr)
    reseller = Reseller(seed=7, accounts=accounts, timezone="Europe/Brussels")
    provider = parse_provider(reseller.provider())
    products = parse_products(reseller.products(until=end))
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    with Store.open(tmp) as store:
        for page in range(first, end, 168):
            snaps = [parse_snapshot(doc, "bench") for doc in reseller.snapshots(page, min(end, page + 168))]
            store.add_snapshots(snaps, provider=provider, products=products)
    tmp.rename(path)
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one fresh process running `cmd`."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "w = time.perf_counter() - t\n"
        "assert r.returncode == 0, r.stderr.decode()\n"
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], env=env, capture_output=True, text=True,
                         check=True)
    wall, rss = out.stdout.split()
    return float(wall), float(rss)


def median_of(runs: int, cmd: list[str], env: dict[str, str],
              before: Callable[[], None] | None = None) -> tuple[float, float]:
    timed(cmd, env)  # warm the OS page cache and Python's bytecode cache
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        samples.append(timed(cmd, env))
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def forget_summaries(cache: Path) -> Callable[[], None]:
    """Drop the period summaries saved in the cache, so `periods` computes them again."""
    def forget() -> None:
        with sqlite3.connect(cache) as db:
            db.execute("DELETE FROM meta WHERE key = ?", (summaries.META_KEY,))
    return forget


def bench_import(runs: int) -> tuple[float, float, int]:
    """`import` of a 1,000-account month vs json.load of the same file, in-process."""
    from payg_tui.service.importing import import_dump

    dump_path = DATA / "import-1000.json"
    if not dump_path.exists():
        reseller = Reseller(seed=11, accounts=1000, timezone="Europe/Brussels")
        dump_path.write_text(json.dumps(reseller.dump(MONTH_START, MONTH_END)))
    loads, strict, imports = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        with dump_path.open("rb") as handle:
            json.load(handle)
        loads.append(time.perf_counter() - started)
        gc.disable()  # the stricter baseline: json.load spared the GC pauses import avoids
        started = time.perf_counter()
        with dump_path.open("rb") as handle:
            json.load(handle)
        strict.append(time.perf_counter() - started)
        gc.enable()
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            import_dump(dump_path, cache=Path(tmp) / "c.sqlite3")
            imports.append(time.perf_counter() - started)
    return (statistics.median(loads), statistics.median(strict), statistics.median(imports),
            dump_path.stat().st_size)


def import_peak(dump_path: Path, exe: list[str]) -> float:
    """Peak RSS (MB) of `payg-tui import FILE` in a fresh process, into a new cache."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PAYG_TUI_CACHE_DIR": tmp, "PAYG_TUI_CONFIG_DIR": tmp}
        return timed([*exe, "import", str(dump_path)], env)[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the 12-month cache")
    parser.add_argument("--only", choices=("import", "report", "periods"))
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    exe = [sys.executable, "-m", "payg_tui.cli"]
    rows = []
    if args.only in (None, "import"):
        load, strict, imp, size = bench_import(args.runs)
        rows.append((f"import 1,000-account month ({size // 2**20} MB)", f"{imp:.2f} s",
                     f"json.load alone {load:.2f} s: ratio {imp / load:.2f} (target <= 2.0); "
                     f"json.load without GC {strict:.2f} s: ratio {imp / strict:.2f}"))
        peak = import_peak(DATA / "import-1000.json", exe)
        rows.append((f"import peak memory ({size / 2**20:.0f} MB file)", f"{peak:.0f} MB",
                     f"{peak / (size / 2**20):.1f} MB per MB of file (a fresh process, interpreter "
                     "included)"))
    if args.only in (None, "report"):
        month = DATA / "month-5000"
        build_cache(month / "cache.sqlite3", 5000, MONTH_START, MONTH_END)
        env = {**os.environ, "PAYG_TUI_CACHE_DIR": str(month)}
        wall, rss = median_of(args.runs, [*exe, "report", MONTH, "--format", "json"], env)
        lines = len(json.loads(subprocess.run([*exe, "report", MONTH, "--format", "json"], env=env,
                                              capture_output=True, text=True).stdout)["lines"])
        rows.append((f"report {MONTH} --format json ({lines} lines)", f"{wall:.2f} s",
                     f"peak RSS {rss:.0f} MB (targets <= 1 s, <= 250 MB)"))
    if args.only in (None, "periods") and not args.quick:
        year = DATA / "year-5000"
        build_cache(year / "cache.sqlite3", 5000, YEAR_START, MONTH_END)
        env = {**os.environ, "PAYG_TUI_CACHE_DIR": str(year)}
        wall, rss = median_of(args.runs, [*exe, "periods"], env, forget_summaries(year / "cache.sqlite3"))
        rows.append(("periods over 12 months, computed", f"{wall:.2f} s",
                     f"peak RSS {rss:.0f} MB (target <= 3 s)"))
        wall, rss = median_of(args.runs, [*exe, "periods"], env)
        rows.append(("periods over 12 months, saved summaries", f"{wall:.2f} s", f"peak RSS {rss:.0f} MB"))
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, median of {args.runs} runs\n")
    print("| what | wall | notes |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
