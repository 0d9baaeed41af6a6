"""docs/performance.md is generated from the benchmarks' saved results: it cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import performance_doc  # noqa: E402

RESULT = {
    "benchmark": "demo", "title": "Demo", "command": "python benchmarks/bench_demo.py",
    "when": "2026-12-02T06:00:00+00:00", "seconds": 120.0,
    "machine": {"cores": 2, "python": "3.11.7", "load_before": 1.5, "load_after": 2.0},
    "ok": False,
    "targets": [
        {"id": "speed", "what": "the thing, wall time", "measured": 1.12, "unit": "x",
         "limit": 1.0, "ok": False, "value": 11.2, "value_unit": "s", "baseline": 10.0,
         "baseline_what": "the plain way", "spread": "1.05-1.20 over 3 pairs", "note": ""},
        {"id": "memory", "what": "the thing, peak RSS", "measured": 180.4, "unit": "MB",
         "limit": 300.0, "ok": True, "value": None, "value_unit": "", "baseline": None,
         "baseline_what": "", "spread": "", "note": ""},
    ],
    "figures": [{"id": "pages", "what": "pages", "value": 52.0, "unit": "", "note": "743 snapshots"}],
}


def test_the_committed_page_is_what_the_generator_writes() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "performance_doc.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_table_shows_measured_baseline_ratio_target_and_verdict() -> None:
    text = performance_doc.render("{{table demo}}", {"demo": RESULT})
    speed = next(line for line in text.splitlines() if line.startswith("| the thing, wall time"))
    assert "11.20 s" in speed and "the plain way: 10.00 s" in speed and "**1.12x**" in speed
    assert "<= 1.00x" in speed and speed.endswith("**not ok** |")
    memory = next(line for line in text.splitlines() if line.startswith("| the thing, peak RSS"))
    assert "**180 MB**" in memory and memory.endswith("| ok |")
    assert "**some targets missed.**" in text and "load average 1.5 to 2" in text


def test_prose_cites_figures_from_the_results_not_by_hand() -> None:
    text = performance_doc.render("ratio {{value demo speed}} against {{baseline demo speed}}, "
                                  "peak {{value demo memory}}: {{command demo}}", {"demo": RESULT})
    assert "ratio 1.12x against 10.00 s, peak 180 MB: `python benchmarks/bench_demo.py`" in text


def test_a_benchmark_without_saved_results_says_so() -> None:
    assert "no saved results for `sync-9000`" in performance_doc.render("{{table sync-9000}}", {})
