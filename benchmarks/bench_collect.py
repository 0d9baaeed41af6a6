"""How long `collect` takes for a big Combell reseller, against the loopback stub.

    python benchmarks/bench_collect.py [--accounts 2000] [--limit 100]
        [--window 60] [--scale 60] [--workers 4] [--latency-ms 0] [--json] [--save]

The stub enforces a fixed-window rate limit of `--limit` requests per
`--window` seconds, like Combell's X-RateLimit headers. A real run of 2,000
accounts at 100 requests a minute takes ~20 minutes, so both the stub and the
collector read a *scaled clock*: time runs `--scale` times faster than the
wall clock (with --scale 60, one simulated minute, one rate-limit window, is
one real second), and every sleep (waiting for a reset, backing off) is
shortened by the same factor. Request handling itself is real (loopback HTTP,
signed and checked, threads), and its real duration counts `--scale` times in
simulated time, so the simulated duration is an upper bound for the same run
at the real pace. A second, unthrottled run measures the collector's own cost
per request.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from common import Results, add_output_options  # noqa: E402

from payg_tui.commands.collect import ProgressLines  # noqa: E402
from payg_tui.providers.combell.auth import Credentials  # noqa: E402
from payg_tui.providers.combell.client import CombellClient  # noqa: E402
from payg_tui.providers.combell.collector import Progress  # noqa: E402
from payg_tui.service.collecting import collect_and_store  # noqa: E402
from tests.combell_stub import CombellStub, ScaledClock, StubAccount  # noqa: E402

HOUR = 3600


def _stub(accounts: int, clock: ScaledClock | None, limit: int | None, window: int,
          latency: float) -> CombellStub:
    stub = CombellStub("bench-key", "bench-secret", clock=clock or time.time, limit=limit,
                       window=window, page_cap=None, delay=latency)
    stub.servicepacks = {i: f"Pack {i}" for i in range(1, 9)}
    stub.accounts = {100_000 + i: StubAccount(f"site{i}.example.be", 1 + i % 8,
                                              [(500_000 + i, "SSL certificate")] if i % 4 == 0
                                              else [])
                     for i in range(accounts)}
    return stub


def run(accounts: int, limit: int | None, window: int, scale: float, workers: int,
        latency: float, progress: bool) -> dict[str, float]:
    # Start a minute into an hour, as the timer does.
    start = (int(time.time()) // HOUR) * HOUR + 60
    clock = ScaledClock(start, scale) if limit else None
    stub = _stub(accounts, clock, limit, window, latency)
    url = stub.start()
    credentials = Credentials("bench-key", "bench-secret")
    shown = ProgressLines(sys.stderr) if progress else None

    def report(p: Progress) -> None:
        if shown is not None:
            shown(p)

    try:
        with tempfile.TemporaryDirectory() as work:
            now = clock or time.time
            sleep = clock.sleep if clock else time.sleep
            wall = time.perf_counter()
            with CombellClient(credentials, url, clock=now, sleep=sleep,
                               connections=workers) as client:
                outcome = collect_and_store(
                    credentials, url, cache=Path(work) / "cache.sqlite3",
                    prices=Path(work) / "prices.toml", clock=now, sleep=sleep,
                    workers=workers, progress=report, client=client)
            wall = time.perf_counter() - wall
    finally:
        stub.stop()
    c = outcome.collection
    assert len(c.snapshot.packs) == accounts
    return {"wall": wall, "simulated": c.elapsed, "requests": c.requests,
            "throttled": stub.count(429), "late": float(c.late),
            "max_concurrent": stub.max_concurrent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=100, help="requests per window")
    parser.add_argument("--window", type=int, default=60, help="rate-limit window (s)")
    parser.add_argument("--scale", type=float, default=60.0, help="simulated s per real s")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="extra stub latency per request in the unthrottled run")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_output_options(parser)
    args = parser.parse_args()

    limited = run(args.accounts, args.limit, args.window, args.scale, args.workers, 0.0,
                  not args.quiet)
    free = run(args.accounts, None, args.window, 1.0, args.workers, args.latency_ms / 1000,
               False)
    results = Results("collect", f"Combell collector, {args.accounts:,} accounts", args)
    # The floor: every request of the run at exactly the rate limit.
    floor = limited["requests"] / args.limit * args.window / 60
    results.target("collect_hour", f"rate-limited run ({args.limit} requests / {args.window} s, "
                   f"{args.workers} workers, clock {args.scale:g}x): simulated minutes",
                   limited["simulated"] / 60, "min", 60.0,
                   note=f"{limited['requests']:.0f} requests, at the limit they take "
                        f"{floor:.1f} min; 429 answers: {limited['throttled']:.0f}; wall "
                        f"{limited['wall']:.1f} s")
    per_request = free["wall"] / free["requests"] * 1000
    results.figure("collect_free", f"unthrottled run, stub latency {args.latency_ms:g} ms: "
                   "time a request", per_request, "ms",
                   note=f"{free['requests']:.0f} requests in {free['wall']:.2f} s wall, up to "
                        f"{free['max_concurrent']:.0f} at once")
    return results.finish()


if __name__ == "__main__":
    sys.exit(main())
