"""The dashboard on the demo reseller with everything pinned: clock, theme, no sync, no animation.

Snapshot tests and scripts/screenshots.py build their app here, so the SVGs
are byte-for-byte reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp

FIXED_NOW = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
THEME = "textual-dark"


def make_app(books: Books | None = None, export_dir: Path | None = None, *, resale: bool = True) -> PaygApp:
    """The pinned demo; `resale=False` leaves its price list out (the cost figures alone)."""
    books = books or Books.open_demo(now=FIXED_NOW)
    app = PaygApp(books, now=lambda: FIXED_NOW, auto_sync=False, export_dir=export_dir or Path("/tmp"),
                  resale=resale)
    app.theme = THEME
    app.animation_level = "none"
    return app


if __name__ == "__main__":  # pragma: no cover - for a look by hand
    make_app().run()
