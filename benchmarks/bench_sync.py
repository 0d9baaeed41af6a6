"""Sync speed and memory against the sandbox on loopback (docs/performance.md, "## Sync").

    /work/venv/bin/python benchmarks/bench_sync.py [--accounts 5000] [--hours 744]

1. starts `payg-tui sandbox` in a child process (its own core's worth of CPU);
2. baseline: fetches the same pages with plain httpx and `json.loads`, in a
   child process (page sizes chosen as the client chooses them);
3. runs `payg-tui sync --since S --until S+hours` into an empty cache, in a
   child process: wall time and peak RSS (os.wait4's rusage of that child);
4. runs `payg-tui sync --until S+hours+1`: the hourly incremental sync, one
   new snapshot, as a whole command (start-up included);
5. prints the figures and checks them against the targets: full sync at most
   1.5x the baseline, peak RSS at most 300 MB, incremental at most 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TOKEN = "bench-token"
PYTHON = sys.executable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--hours", type=int, default=744)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--fetch-only", nargs=3, metavar=("URL", "FROM", "TO"),
                        help=argparse.SUPPRESS)  # the baseline child
    args = parser.parse_args()
    if args.fetch_only:
        return fetch_only(*args.fetch_only)

    start = _past_long_month(datetime.now(UTC))
    since = start.strftime("%Y-%m-%dT%H:00:00Z")
    until = (start + timedelta(hours=args.hours)).strftime("%Y-%m-%dT%H:00:00Z")
    until_next = (start + timedelta(hours=args.hours + 1)).strftime("%Y-%m-%dT%H:00:00Z")

    with tempfile.TemporaryDirectory(prefix="payg-bench-") as folder:
        env = dict(os.environ, PAYG_TUI_CACHE_DIR=str(Path(folder) / "cache"),
                   PAYG_TUI_CONFIG_DIR=str(Path(folder) / "config"), PAYG_API_TOKEN=TOKEN)
        env.pop("PAYG_API_URL", None)
        sandbox = subprocess.Popen(
            [PYTHON, "-m", "payg_tui.cli", "sandbox", "--accounts", str(args.accounts),
             "--seed", str(args.seed), "--token", TOKEN, "--since", since, "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        try:
            url = _sandbox_url(sandbox)
            env["PAYG_API_URL"] = url
            # Warm the sandbox (its first walk over the range) so neither side pays it.
            _child([PYTHON, __file__, "--fetch-only", url, since, until], env)
            # Baseline before and after the sync: the machine's load drifts.
            before, base_rss, base_out = _child(
                [PYTHON, __file__, "--fetch-only", url, since, until], env)
            stats = json.loads(base_out)
            sync_wall, sync_rss, sync_out = _child(
                [PYTHON, "-m", "payg_tui.cli", "sync", "--since", since, "--until", until], env)
            after, _, _ = _child([PYTHON, __file__, "--fetch-only", url, since, until], env)
            base_wall = (before + after) / 2
            inc_wall, inc_rss, inc_out = _child(
                [PYTHON, "-m", "payg_tui.cli", "sync", "--until", until_next], env)
            figures = {
                "accounts": args.accounts,
                "snapshots": stats["snapshots"],
                "pages": stats["pages"],
                "json_mb": round(stats["bytes"] / 1e6, 1),
                "baseline_s": round(base_wall, 2),
                "baseline_runs_s": [round(before, 2), round(after, 2)],
                "baseline_rss_mb": round(base_rss, 1),
                "sync_s": round(sync_wall, 2),
                "sync_rss_mb": round(sync_rss, 1),
                "ratio": round(sync_wall / base_wall, 3),
                "incremental_s": round(inc_wall, 3),
                "incremental_rss_mb": round(inc_rss, 1),
            }
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
    verdicts = {
        "ratio": figures["ratio"] <= 1.5,
        "sync_rss_mb": figures["sync_rss_mb"] <= 300,
        "incremental_s": figures["incremental_s"] <= 1.0,
    }
    if args.json:
        print(json.dumps({"figures": figures, "ok": verdicts}, indent=2))
    else:
        print(f"sync output:        {sync_out.strip()}")
        print(f"incremental output: {inc_out.strip()}")
        for key, value in figures.items():
            mark = "" if key not in verdicts else ("  ok" if verdicts[key] else "  OVER TARGET")
            print(f"{key:<20} {value}{mark}")
    return 0 if all(verdicts.values()) else 1


def _past_long_month(now: datetime) -> datetime:
    """00:00 UTC on the 1st of the latest 31-day month that is over."""
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while True:
        month = (month - timedelta(days=1)).replace(day=1)
        following = (month + timedelta(days=32)).replace(day=1)
        if (following - month).days == 31:
            return month


def _sandbox_url(sandbox: subprocess.Popen[str]) -> str:
    assert sandbox.stdout is not None
    for line in sandbox.stdout:
        match = re.match(r"url:\s+(\S+)", line)
        if match:
            return match.group(1)
    raise SystemExit("the sandbox did not start")


def _child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(argv[1:4])} failed ({child.returncode}): "
                             f"{err.read().decode()}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()  # ru_maxrss: KiB on Linux


def fetch_only(url: str, since: str, until: str) -> int:
    """The baseline: the same pages, with plain httpx and json.loads, nothing else."""
    import httpx

    from payg_tui.providers.hosting_api import FIRST_PAGE, MAX_PAGE, PAGE_BYTES

    started = time.perf_counter()
    snapshots = pages = total = 0
    limit = FIRST_PAGE
    params = {"from": since, "to": until, "limit": str(limit)}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}",
                                             "Accept-Encoding": "gzip"}, timeout=60) as http:
        while True:
            response = http.get("/v1/snapshots", params=params)
            response.raise_for_status()
            doc = json.loads(response.content)
            count = len(doc["snapshots"])
            snapshots += count
            pages += 1
            total += len(response.content)
            if count:
                limit = max(1, min(MAX_PAGE, PAGE_BYTES // (len(response.content) // count)))
            if doc["next_cursor"] is None:
                break
            params = {"cursor": doc["next_cursor"], "limit": str(limit)}
    print(json.dumps({"snapshots": snapshots, "pages": pages, "bytes": total,
                      "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
