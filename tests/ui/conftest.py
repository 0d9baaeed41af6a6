"""Fixtures for the dashboard tests: the pinned demo, a worked-example cache, a sandbox."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from payg_tui.service.books import Books
from tests.ui.snapshot_app import FIXED_NOW, make_app

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "worked-example.json"


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's config or cache; no API from the environment."""
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PAYG_API_URL", raising=False)
    monkeypatch.delenv("PAYG_API_TOKEN", raising=False)


@pytest.fixture(autouse=True)
def children_may_start() -> None:
    """An app that quit in an earlier test ended its children for good (its process would
    be exiting); each test is a fresh start, as a new dashboard's `on_load` makes it."""
    from payg_tui.service import children

    children.reopen()


@pytest.fixture(scope="session")
def demo_books() -> Iterator[Books]:
    books = Books.open_demo(now=FIXED_NOW)
    yield books
    books.close()


@pytest.fixture
def demo_app(demo_books: Books, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_app(demo_books, export_dir=tmp_path)


@pytest.fixture
def costs_only_app(demo_books: Books, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The demo without its sell price list: the Customers tab and screen as without resale.toml."""
    return make_app(demo_books, export_dir=tmp_path, resale=False)


@pytest.fixture
def example_cache(tmp_path: Path) -> Path:
    from payg_tui.service.importing import import_dump

    path = tmp_path / "example.sqlite3"
    import_dump(EXAMPLE, cache=path)
    return path


async def settle(pilot: Pilot[object]) -> None:
    """Let workers finish and their messages be handled (no sleeping).

    Some results come in a chain (the periods, then the price list, then each
    period's revenue): go on until a round starts no new worker.
    """
    await pilot.pause()
    for _ in range(20):
        await _workers_done(pilot)
        await pilot.pause()
        if all(worker.is_finished for worker in pilot.app.workers):
            break
    await pilot.pause()


async def _workers_done(pilot: Pilot[object]) -> None:
    """Wait for every worker; one cancelled because its screen closed is expected, a failure is not."""
    for worker in list(pilot.app.workers):
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


def screen_text(pilot: Pilot[object]) -> str:
    """What the terminal shows, as plain text (one line per row)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def screen_words(pilot: Pilot[object]) -> str:
    """The screen's text with line breaks and runs of spaces made single spaces (for wrapped text)."""
    return " ".join(screen_text(pilot).split())
