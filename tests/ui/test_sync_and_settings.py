"""Sync against the sandbox, start offline, and save the settings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input

from payg_tui.config import Config, load_config
from payg_tui.sandbox.server import start_sandbox
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp
from payg_tui.ui.screens.settings import SettingsScreen
from payg_tui.ui.widgets.table import VirtualTable
from tests.ui.conftest import screen_text, settle
from tests.ui.test_alerts_header import until


@pytest.fixture
def sandbox():  # type: ignore[no-untyped-def]
    server = start_sandbox(accounts=4, seed=3, token="sandbox-token")
    yield server
    server.shutdown()


async def test_sync_fills_an_empty_cache_from_the_api_without_freezing(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    books = Books.open_cache(tmp_path / "cache.sqlite3", create=True)
    config = Config(api_url=sandbox.url, api_token="sandbox-token")
    app = PaygApp(books, config=config, auto_sync=False)
    seen: list[object] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.periods == ()
        assert "no periods yet" in screen_text(pilot)
        app.watch(app, "sync_progress", lambda value: seen.append(value), init=False)
        app.watch(app, "syncing", lambda value: seen.append(("syncing", value)), init=False)
        await pilot.press("s")
        await settle(pilot)
        assert ("syncing", True) in seen and ("syncing", False) in seen
        assert not app.syncing and app.online == "live"
        assert any(p is not None and not isinstance(p, tuple) for p in seen)  # the bar moved
        assert len(app.periods) >= 2
        table = app.screen.query_one("#periods", VirtualTable)
        assert [s.period.key for s in table.view] == [s.period.key for s in app.periods]
        assert "live API" in screen_text(pilot)
    books.close()


async def test_a_refused_token_is_a_one_line_notification(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    books = Books.open_cache(tmp_path / "cache.sqlite3", create=True)
    app = PaygApp(books, config=Config(api_url=sandbox.url, api_token="wrong-token"), auto_sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert not app.syncing
        notes = list(app._notifications)
        assert notes and notes[-1].severity == "error"
        assert "\n" not in notes[-1].message and "wrong-token" not in notes[-1].message
    books.close()


async def test_unreachable_api_at_start_opens_the_cache_marked_offline(example_cache: Path) -> None:
    books = Books.open_cache(example_cache)
    # Port 9 on loopback: nothing listens there, the connection is refused at once.
    app = PaygApp(books, config=Config(api_url="http://127.0.0.1:9", api_token="t0ken"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.online == "offline"
        assert [s.period.key for s in app.periods] == ["2026-11", "2026-10"]
        assert screen_text(pilot).startswith(" payg  offline · cache ")  # how old, before all else
    books.close()


async def test_no_api_configured_is_said_in_the_header(example_cache: Path) -> None:
    books = Books.open_cache(example_cache)
    app = PaygApp(books, config=Config())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "cache only (no API set)" in screen_text(pilot)
        await pilot.press("s")
        assert not app.syncing
    books.close()


async def test_settings_validate_and_save_url_and_token(example_cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.toml"
    books = Books.open_cache(example_cache)
    app = PaygApp(books, config=Config(), config_path=path, auto_sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press(*"http://api.example.com")  # plain http off loopback: refused
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not path.exists()
        assert "https://" in str(app.screen.query_one("#settings-error").render())
        app.screen.query_one("#api-url").value = "https://api.example.com/payg/"  # type: ignore[attr-defined]
        await pilot.click("#api-token")
        await pilot.press(*"s3cret-t0ken")
        assert "s3cret" not in screen_text(pilot)  # masked while typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = tomllib.loads(path.read_text(encoding="utf-8"))
        assert saved["api"] == {"url": "https://api.example.com/payg", "token": "s3cret-t0ken"}
        assert path.stat().st_mode & 0o077 == 0
        assert load_config(path, apply_env=False).api_token == "s3cret-t0ken"
        assert app.config is not None and app.config.api_url == "https://api.example.com/payg"
        await pilot.press("escape")
        assert not isinstance(app.screen, SettingsScreen)
    books.close()


def test_the_sync_bar_shows_hours_percentage_rate_and_eta():
    from payg_tui.service.sync import SyncProgress
    from payg_tui.ui.widgets.sync_bar import bar_text

    progress = SyncProgress(stage="snapshots", hours_done=372, hours_total=744, hours_added=370,
                            pages=3, elapsed=2.0)
    text = bar_text(progress, width=10).plain
    assert text == "sync: 370 h added ━━━━━───── 50% · 186 h/s · 2 s left"
    assert bar_text(None).plain == "sync: connecting…"


async def test_settings_edit_the_alerts_and_the_header_follows(example_cache: Path, tmp_path: Path) -> None:
    """The [alerts] settings: validated like `config set`, saved, and the header's alerts checked again."""
    path = tmp_path / "config" / "config.toml"
    books = Books.open_cache(example_cache)
    app = PaygApp(books, config=Config(), config_path=path, auto_sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.alerts is not None)
        assert app.alerts is not None and not [a for a in app.alerts.alerts if a.kind == "budget"]
        before = len(app.alerts.alerts)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert screen.query_one("#settings-title").region.y == 0  # the title is in view, not scrolled out
        fields = {name: screen.query_one(f"#alerts-{name}", Input)
                  for name in ("budget", "warn-at", "stale-after", "within")}
        assert [f.value for f in fields.values()] == ["", "80", "3", "12"]  # the defaults, shown
        fields["budget"].value = "0.50"
        fields["warn-at"].value = "150"  # a percentage above 100: refused, naming the key
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not path.exists()
        assert "alerts.warn_at" in str(screen.query_one("#settings-error").render())
        fields["warn-at"].value = ""  # empty: back to the default
        fields["within"].value = "24"
        screen.query_one("#alerts-webhook", Input).value = "https://hooks.example/services/T0/B0/k3y"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.alerts is not None
                    and any(a.kind == "budget" for a in app.alerts.alerts))
        saved = tomllib.loads(path.read_text(encoding="utf-8"))
        assert saved["alerts"] == {"budget": "0.50", "within": 24,
                                   "webhook": "https://hooks.example/services/T0/B0/k3y"}
        assert "k3y" not in screen_text(pilot)  # the webhook is a secret: masked once saved
        assert app.config is not None and app.config.alerts_within == 24
        await pilot.press("escape")
        await pilot.pause()
        assert f" {before + 1} alerts " in screen_text(pilot).splitlines()[0]  # the header counts it
    books.close()
