"""Regenerate screenshots/*.svg (shown in the README) from the demo data, clock frozen.

    /work/venv/bin/python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from payg_tui.service.books import Books  # noqa: E402
from tests.ui.conftest import settle  # noqa: E402
from tests.ui.snapshot_app import FIXED_NOW, make_app  # noqa: E402

# (file name, terminal size, keys, tab to show, keys on that tab)
SHOTS: list[tuple[str, tuple[int, int], list[str], str | None, list[str]]] = [
    ("periods", (120, 36), [], None, []),
    ("period", (120, 36), ["enter"], None, []),
    ("not-billed", (120, 36), ["enter"], "not-billed", []),
    ("billed-days", (120, 36), ["enter"], "days", []),
    # The demo's own price list (resale.md): margins, the worst first, and that customer's statement.
    ("customers", (120, 36), ["enter"], "customers", []),
    ("statement", (120, 36), ["enter"], "customers", ["enter"]),
    ("account", (120, 36), ["enter", "slash", *"bakkerij", "enter", "enter"], None, []),
    ("periods-80x24", (80, 24), [], None, []),
    ("period-80x24", (80, 24), ["enter"], None, []),
]


async def shoot(books: Books, out: Path, name: str, size: tuple[int, int], keys: list[str],
                tab: str | None, then: list[str]) -> Path:
    app = make_app(books)
    async with app.run_test(size=size) as pilot:
        for key in ["", *keys]:
            if key:
                await pilot.press(key)
            await settle(pilot)  # workers in a chain: the periods, the price list, each revenue
        if tab is not None:
            app.screen.show_tab(tab)  # type: ignore[attr-defined]
            await settle(pilot)
        for key in then:
            await pilot.press(key)
            await settle(pilot)
        return Path(app.save_screenshot(f"{name}.svg", path=str(out)))


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with Books.open_demo(now=FIXED_NOW) as books:
        for name, size, keys, tab, then in SHOTS:
            print(await shoot(books, out, name, size, keys, tab, then))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    asyncio.run(main(parser.parse_args().out))
