"""Sync speed and memory against the sandbox on loopback (docs/performance.md, "## Sync").

    python benchmarks/bench_sync.py [--accounts 5000] [--hours 744] [--pairs 1] [--json] [--save]

1. starts `payg-tui sandbox` in a child process and warms it (one walk over
   the range, so neither side pays the generator);
2. the baseline: a plain client, httpx + `json.loads` and nothing else,
   fetching the same pages (page sizes chosen as the client chooses them), in
   a child process;
3. `payg-tui sync --since S --until S+hours --progress json` into an empty
   cache, in a child process: wall time, peak RSS (os.wait4's rusage of that
   child), and its RSS after every stored page (read from /proc as each
   progress line arrives), to see that memory stays flat from page to page;
4. steps 2 and 3 alternate, baseline first and last (B A B A B ...): each
   sync is compared with the mean of the baselines on both sides of it, and
   the ratio is the median over the pairs (the machine is shared: its load
   drifts);
5. `payg-tui sync --until S+hours+1`: the hourly incremental sync, one new
   snapshot, as a whole command (start-up included).

Targets: sync time <= 1.0x the baseline, sync peak RSS <= 1.3x the
baseline's and <= 300 MB, memory flat (the RSS over the last quarter of the
pages at most 1.15x the RSS over the second quarter), incremental <= 1 s.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Results, add_output_options, median, python_child_env, run_child

TOKEN = "bench-token"
PYTHON = sys.executable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--hours", type=int, default=744)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=1, help="syncs, each between two baselines")
    add_output_options(parser)
    parser.add_argument("--fetch-only", nargs=6, help=argparse.SUPPRESS)  # the baseline child
    args = parser.parse_args()
    if args.fetch_only:
        return fetch_only(*args.fetch_only)

    start = _past_long_month(datetime.now(UTC))
    since = start.strftime("%Y-%m-%dT%H:00:00Z")
    until = (start + timedelta(hours=args.hours)).strftime("%Y-%m-%dT%H:00:00Z")
    until_next = (start + timedelta(hours=args.hours + 1)).strftime("%Y-%m-%dT%H:00:00Z")
    results = Results(f"sync-{args.accounts}",
                      f"Sync of one month, {args.accounts:,} accounts", args)

    from payg_tui.providers.hosting_api import FIRST_PAGE, MAX_PAGE, PAGE_BYTES

    with tempfile.TemporaryDirectory(prefix="payg-bench-") as folder:
        env = python_child_env(PAYG_TUI_CONFIG_DIR=str(Path(folder) / "config"),
                               PAYG_API_TOKEN=TOKEN)
        env.pop("PAYG_API_URL", None)
        sandbox = subprocess.Popen(
            [PYTHON, "-m", "payg_tui.cli", "sandbox", "--accounts", str(args.accounts),
             "--seed", str(args.seed), "--token", TOKEN, "--since", since, "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
        try:
            url = _sandbox_url(sandbox)
            env["PAYG_API_URL"] = url
            baseline_cmd = [PYTHON, __file__, "--fetch-only", url, since, until,
                            str(FIRST_PAGE), str(MAX_PAGE), str(PAGE_BYTES)]
            run_child(baseline_cmd, env)  # warm the sandbox
            baselines = [run_child(baseline_cmd, env, keep_output=True)]
            syncs: list[dict[str, float | list[float]]] = []
            for pair in range(args.pairs):
                cache = Path(folder) / f"cache-{pair}"
                syncs.append(_sync(env | {"PAYG_TUI_CACHE_DIR": str(cache)}, since, until))
                baselines.append(run_child(baseline_cmd, env, keep_output=True))
            incremental = run_child(
                [PYTHON, "-m", "payg_tui.cli", "sync", "--until", until_next],
                env | {"PAYG_TUI_CACHE_DIR": str(Path(folder) / "cache-0")})
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)

    stats = json.loads(baselines[0].out)
    ratios = [float(s["wall"]) / ((baselines[i].wall + baselines[i + 1].wall) / 2)  # type: ignore[arg-type]
              for i, s in enumerate(syncs)]
    sync_wall = median([float(s["wall"]) for s in syncs])  # type: ignore[arg-type]
    base_wall = median([b.wall for b in baselines])
    sync_rss = median([float(s["rss"]) for s in syncs])  # type: ignore[arg-type]
    base_rss = median([b.rss_mb for b in baselines])
    trace: list[float] = syncs[0]["trace"]  # type: ignore[assignment]
    quarter = max(1, len(trace) // 4)
    early = median(trace[quarter:2 * quarter] or trace)
    late = median(trace[-quarter:])
    plain = "the plain client (httpx + json.loads)"

    results.ratio("sync_time", "full sync, wall time", sync_wall, base_wall, "s", 1.0, plain,
                  ratios=ratios)
    results.ratio("sync_rss", "full sync, peak RSS", sync_rss, base_rss, "MB", 1.3, plain,
                  ratios=[float(s["rss"]) / base_rss for s in syncs])  # type: ignore[arg-type]
    results.target("sync_rss_mb", "full sync, peak RSS", max(float(s["rss"]) for s in syncs),  # type: ignore[arg-type]
                   "MB", 300.0)
    results.ratio("sync_flat", "memory from page to page: RSS over the last quarter of the pages",
                  late, early, "MB", 1.15, "the RSS over the second quarter")
    results.target("incremental_s", "hourly incremental sync (1 snapshot), whole command",
                   incremental.wall, "s", 1.0, note=f"CPU {incremental.cpu:.2f} s")
    results.figure("pages", "pages / snapshots / JSON", stats["pages"], "",
                   note=f"{stats['snapshots']} snapshots, {stats['bytes'] / 1e6:.0f} MB of JSON")
    results.figure("sync_cpu", "full sync, CPU (user + system)",
                   median([float(s["cpu"]) for s in syncs]), "s",  # type: ignore[arg-type]
                   note=f"the plain client: {median([b.cpu for b in baselines]):.1f} s")
    results.figure("rss_first_last", "RSS after the first / the last page", trace[0], "MB",
                   note=f"{trace[-1]:.0f} MB after the last, peak {max(trace):.0f} MB")
    return results.finish()


def _sync(env: dict[str, str], since: str, until: str) -> dict[str, float | list[float]]:
    """One full sync as a child process; its RSS read after each stored page."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [PYTHON, "-m", "payg_tui.cli", "sync", "--since", since, "--until", until,
         "--progress", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=ROOT, text=True)
    assert child.stdout is not None and child.stderr is not None
    trace: list[float] = []
    pages = 0
    for line in child.stdout:
        with_pages = re.search(r'"pages":\s*(\d+)', line)
        if with_pages and int(with_pages.group(1)) > pages:
            pages = int(with_pages.group(1))
            trace.append(_rss_mb(child.pid))
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or not trace:
        raise SystemExit(f"sync failed ({child.returncode}): {errors[-2000:]}")
    return {"wall": wall, "rss": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime,
            "trace": trace}


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


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


def fetch_only(url: str, since: str, until: str, first: str, most: str, page_bytes: str) -> int:
    """The baseline: the same pages, with plain httpx and json.loads, nothing else."""
    import httpx

    started = time.perf_counter()
    snapshots = pages = total = 0
    limit = int(first)
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
                per_snapshot = max(1, len(response.content) // count)
                limit = max(1, min(int(most), int(page_bytes) // per_snapshot))
            if doc["next_cursor"] is None:
                break
            params = {"cursor": doc["next_cursor"], "limit": str(limit)}
    print(json.dumps({"snapshots": snapshots, "pages": pages, "bytes": total,
                      "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
