"""The revenue of every period, for the dashboard's period list, worked out in a child process.

With a price list the list shows each period's revenue and margin, and each
needs the period's report and statements: some 0.3 s of work per large
month, 24 months on a two-year cache. In the dashboard's own interpreter
that work shared the interpreter lock with the screens, and a period opened
meanwhile took up to twice as long to paint. In a child it runs beside them
at a lower priority, as a sync does (`sync_child.py`), and the dashboard
stops it while a period loads (`ui/foreground.py`).

`run` (on a dashboard worker thread) starts `python -m
payg_tui.service.resale_child CACHE [--demo] PERIOD...` and reads one JSON
line per period, newest first; `main` is the child. The child reads the
same cache file and the same `resale.toml` (or the demo's price list).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from payg_tui.engine.resale import ResaleTotals
from payg_tui.errors import UsageError, UserError
from payg_tui.service import children

LOWER_PRIORITY = 5  # `nice` increment: on one core the screens still come first


def run(cache: Path, keys: list[str], *, demo: bool, found: Callable[[str, ResaleTotals], object],
        should_stop: Callable[[], bool],
        attach: Callable[[subprocess.Popen[str]], object] = lambda child: None,
        detach: Callable[[subprocess.Popen[str]], object] = lambda child: None) -> None:
    """Call `found` with each period's totals as the child works them out; raises `UserError`.

    `attach` is told of the child once it is started (the dashboard stops it while
    a period loads), `detach` once it is done.
    """
    command = [sys.executable, "-m", "payg_tui.service.resale_child", str(cache),
               *(["--demo"] if demo else []), *keys]
    if should_stop():
        return
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        try:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True,
                                     encoding="utf-8")
        except OSError as error:  # no process to be had (too many open, no memory)
            raise UsageError(f"the revenue could not be worked out: {error}") from None
        children.started(child)
        attach(child)
        try:
            assert child.stdout is not None
            for line in child.stdout:
                if should_stop():
                    return
                _read(line, found)
            code = child.wait()
        finally:
            detach(child)
            children.ended(child)
        errors.seek(0)
        lines = [line for line in errors.read().splitlines() if line.strip()]
    if code != 0:
        raise UsageError(lines[-1] if lines else f"the revenue could not be worked out (exit {code})")


def _read(line: str, found: Callable[[str, ResaleTotals], object]) -> None:
    """One line of the child: a period's totals, or its error (one line, for the user)."""
    try:
        answer = json.loads(line)
        if "error" in answer:
            raise UsageError(str(answer["error"]))
        totals = _totals(answer["totals"])
        key = str(answer["key"])
    except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
        raise UsageError(f"the revenue could not be worked out: the child wrote {line[:80]!r}") from None
    found(key, totals)


def _totals(fields: dict[str, object]) -> ResaleTotals:
    return ResaleTotals(cost=Decimal(str(fields["cost"])), revenue=Decimal(str(fields["revenue"])),
                        margin=Decimal(str(fields["margin"])), incomplete=bool(fields["incomplete"]))


def main(argv: list[str]) -> int:
    """The child: one line per period, `{"key", "totals"}`, or `{"key", "error"}` and stop."""
    from payg_tui.service.books import Books
    from payg_tui.service.statements import open_resale

    with contextlib.suppress(OSError, AttributeError):  # AttributeError: Windows has no nice
        os.nice(LOWER_PRIORITY)
    cache, *rest = argv
    demo = "--demo" in rest
    keys = [key for key in rest if key != "--demo"]
    with Books.open_cache(Path(cache)) as books:
        try:
            resale = open_resale(books, demo=demo)
        except UserError as error:
            return _say({"key": None, "error": error.message})
        if resale is None:
            return _say({"key": None, "error": "the price list (resale.toml) is gone"})
        for key in keys:
            try:
                totals = resale.totals(key)
            except UserError as error:
                return _say({"key": key, "error": error.message})
            _say({"key": key, "totals": {"cost": str(totals.cost), "revenue": str(totals.revenue),
                                         "margin": str(totals.margin), "incomplete": totals.incomplete}})
    return 0


def _say(answer: dict[str, object]) -> int:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
