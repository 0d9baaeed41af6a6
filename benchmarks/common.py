"""What every benchmark shares: the generated data, child-process timing, and verdicts.

Each benchmark script measures its figures *and a baseline in the same run*,
checks every target, prints one line per target (`ok` / `not ok`, with the
baseline and the ratio) and, with `--json`, the same as JSON on stdout; with
`--save`, it also writes the JSON to `benchmarks/results/<name>.json`, from
which `scripts/performance_doc.py` writes the tables of docs/performance.md.

Generated data (caches, dump files) goes to `$PAYG_BENCH_DATA`, by default
`bench-data/` in the checkout (git-ignored). Building it takes minutes; point
several checkouts at one folder (e.g. `PAYG_BENCH_DATA=/bench-data`) to build
it once. A lock keeps two builders from writing the same file.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PAYG_BENCH_DATA") or ROOT / "bench-data")
RESULTS = ROOT / "benchmarks" / "results"
_STARTED = datetime.now(UTC)  # when the script started: its duration in the results
_LOAD_BEFORE = os.getloadavg()[0]


# -- generated data -------------------------------------------------------------------


@contextlib.contextmanager
def _building(path: Path) -> Iterator[bool]:
    """Hold the build lock of `path`; yields True when it still has to be built."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another benchmark may be building it: wait
        yield not path.exists()


def build_cache(path: Path, accounts: int, first: int, end: int, seed: int = 7) -> Path:
    """A cache of the generated reseller over `[first, end)`, built once through the real
    parser and store, in pages of 168 hours as `sync` writes them."""
    sys.path.insert(0, str(ROOT))
    from payg_tui.providers.payload import parse_products, parse_provider, parse_snapshot
    from payg_tui.sandbox.generator import Reseller
    from payg_tui.store.cache import Store

    with _building(path) as needed:
        if not needed:
            return path
        print(f"building {path}: {accounts} accounts, {end - first} hours ...", file=sys.stderr)
        reseller = Reseller(seed=seed, accounts=accounts, timezone="Europe/Brussels")
        provider = parse_provider(reseller.provider())
        products = parse_products(reseller.products(until=end))
        tmp = path.with_suffix(".building")
        for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            stale.unlink(missing_ok=True)
        started = time.perf_counter()
        with Store.open(tmp) as store:
            for page in range(first, end, 168):
                snaps = [parse_snapshot(doc, "bench")
                         for doc in reseller.snapshots(page, min(end, page + 168))]
                store.add_snapshots(snaps, provider=provider, products=products)
        tmp.rename(path)
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def build_file(path: Path, write: Any) -> Path:
    """A generated file, written once by `write(path)` under the build lock."""
    with _building(path) as needed:
        if needed:
            tmp = path.with_name(path.name + ".building")
            write(tmp)
            tmp.rename(path)
    return path


# -- timing child processes -----------------------------------------------------------


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, launch to exit
    cpu: float  # user + system seconds of the child
    rss_mb: float  # peak resident memory of the child
    out: str


# Each timed command is started by this small probe process, which reports the command's
# own rusage. Started straight from the benchmark, a child's peak RSS would count the
# benchmark's own memory at the fork (Linux keeps the high-water mark across exec).
_PROBE = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024,
               "code": os.waitstatus_to_exitcode(status)}, out)
"""


def run_child(argv: Sequence[str], env: dict[str, str] | None = None, *,
              ok_codes: Sequence[int] = (0,), keep_output: bool = False) -> Run:
    """One fresh process: wall time, CPU time and peak RSS (os.wait4's rusage of that child)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as figures:
        subprocess.run([sys.executable, "-c", _PROBE, figures.name, *argv], env=env, stdout=out,
                       stderr=err, cwd=ROOT, check=True)
        measured = json.loads(Path(figures.name).read_text())
        if measured["code"] not in ok_codes:
            err.seek(0)
            raise SystemExit(f"{' '.join(map(str, argv[:4]))} failed ({measured['code']}): "
                             f"{err.read().decode(errors='replace')[-2000:]}")
        out.seek(0)
        text = out.read().decode(errors="replace") if keep_output else ""
    return Run(measured["wall"], measured["cpu"], measured["rss"], text)


def python_child_env(**extra: str) -> dict[str, str]:
    """The environment for timed children: bytecode cached (as an installed payg-tui runs)."""
    env = dict(os.environ, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(DATA / "pycache"))
    return env


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# -- verdicts -------------------------------------------------------------------------


@dataclass
class Target:
    id: str
    what: str  # the figure, in words
    measured: float  # the figure checked against `limit` (a ratio when there is a baseline)
    unit: str  # "s", "MB", "x" (a ratio)
    limit: float
    ok: bool = field(init=False)
    value: float | None = None  # with a baseline: the figure itself (measured is the ratio)
    value_unit: str = ""
    baseline: float | None = None
    baseline_what: str = ""
    spread: str = ""  # e.g. the range of the paired ratios
    note: str = ""

    def __post_init__(self) -> None:
        self.ok = self.measured <= self.limit


@dataclass
class Figure:
    id: str
    what: str
    value: float
    unit: str
    note: str = ""


class Results:
    """The figures and verdicts of one benchmark run."""

    def __init__(self, name: str, title: str, args: argparse.Namespace) -> None:
        self.name = name
        self.title = title
        self.args = args
        self.targets: list[Target] = []
        self.figures: list[Figure] = []
        self.started = _STARTED
        self.load_before = _LOAD_BEFORE

    def target(self, id: str, what: str, measured: float, unit: str, limit: float,
               **more: Any) -> Target:
        target = Target(id, what, measured, unit, limit, **more)
        self.targets.append(target)
        return target

    def ratio(self, id: str, what: str, value: float, baseline: float, unit: str, limit: float,
              baseline_what: str, ratios: Sequence[float] | None = None, note: str = "") -> Target:
        """A target on `value / baseline` (or the median of paired `ratios`)."""
        measured = median(ratios) if ratios else value / baseline
        spread = (f"{min(ratios):.2f}-{max(ratios):.2f} over {len(ratios)} pairs"
                  if ratios and len(ratios) > 1 else "")
        return self.target(id, what, measured, "x", limit, value=value, value_unit=unit,
                           baseline=baseline, baseline_what=baseline_what, spread=spread,
                           note=note)

    def figure(self, id: str, what: str, value: float, unit: str, note: str = "") -> None:
        self.figures.append(Figure(id, what, value, unit, note))

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.targets)

    def document(self) -> dict[str, Any]:
        return {
            "benchmark": self.name,
            "title": self.title,
            "command": command_line(),
            "when": self.started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(UTC) - self.started).total_seconds(), 1),
            "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                        "load_before": round(self.load_before, 2),
                        "load_after": round(os.getloadavg()[0], 2)},
            "ok": self.ok,
            "targets": [_rounded(asdict(t)) for t in self.targets],
            "figures": [_rounded(asdict(f)) for f in self.figures],
        }

    def finish(self) -> int:
        """Print the verdicts (and JSON with --json), save with --save; the exit status."""
        doc = self.document()
        if getattr(self.args, "json", False):
            print(json.dumps(doc, indent=2))
        else:
            print(render_text(doc))
        if getattr(self.args, "save", False):
            RESULTS.mkdir(parents=True, exist_ok=True)
            path = RESULTS / f"{self.name}.json"
            path.write_text(json.dumps(doc, indent=2) + "\n")
            print(f"saved {path.relative_to(ROOT)}", file=sys.stderr)
        return 0 if self.ok else 1


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--save", action="store_true",
                        help="also write them to benchmarks/results/ (docs/performance.md's source)")


def command_line() -> str:
    script = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        script = script.resolve().relative_to(ROOT)
    args = [a for a in sys.argv[1:] if a not in ("--json", "--save")]
    return " ".join(["python", str(script), *args])


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "s":
        return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if not unit:
        return f"{value:g}"
    return f"{value:.1f} {unit}" if abs(value) >= 10 else f"{value:.2f} {unit}"


def render_text(doc: dict[str, Any]) -> str:
    lines = [f"{doc['title']} ({doc['command']}; {doc['machine']['cores']} cores, "
             f"load {doc['machine']['load_before']}->{doc['machine']['load_after']})"]
    for t in doc["targets"]:
        measured = fmt(t["measured"], t["unit"])
        if t["baseline"] is not None:
            measured = (f"{fmt(t['value'], t['value_unit'])} vs {t['baseline_what']} "
                        f"{fmt(t['baseline'], t['value_unit'])}: {measured}")
            if t["spread"]:
                measured += f" ({t['spread']})"
        if t["note"]:
            measured += f" ({t['note']})"
        verdict = "ok" if t["ok"] else "not ok"
        lines.append(f"{verdict:>6}  {t['what']}: {measured} (target <= {fmt(t['limit'], t['unit'])})")
    for f in doc["figures"]:
        lines.append(f"        {f['what']}: {fmt(f['value'], f['unit'])}"
                     + (f" ({f['note']})" if f["note"] else ""))
    return "\n".join(lines)


def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
