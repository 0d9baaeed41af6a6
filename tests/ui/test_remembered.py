"""The theme and each tab's sort are remembered in the config file, never with the demo."""

from __future__ import annotations

import tomllib
from pathlib import Path

from payg_tui import locations
from payg_tui.config import Config, load_config, save_config
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp
from payg_tui.ui.widgets.table import VirtualTable
from tests.ui.conftest import settle


def _dashboard_table() -> dict[str, object]:
    with locations.config_path().open("rb") as handle:
        return tomllib.load(handle)["dashboard"]  # type: ignore[no-any-return]


async def test_theme_and_sort_come_back_at_the_next_start(example_cache: Path) -> None:
    config_path = locations.config_path()
    save_config(Config(api_url="https://api.host.example/payg"), config_path)  # settings kept
    books = Books.open_cache(example_cache)
    app = PaygApp(books, auto_sync=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("5", "5")  # billed, then reversed
        app.theme = "nord"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("2")  # the accounts tab: by name
        await settle(pilot)
    assert _dashboard_table() == {
        "theme": "nord",
        "sort": {"periods": {"column": "billed", "reversed": True},
                 "accounts": {"column": "name", "reversed": False}},
    }
    assert load_config(config_path, apply_env=False).api_url == "https://api.host.example/payg"

    again = PaygApp(books, auto_sync=False)
    assert again.theme == "nord"
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = again.screen.query_one("#periods", VirtualTable)
        assert table.columns[table._sort_column or 0].label == "billed" and table._reverse
        await pilot.press("enter")
        await settle(pilot)
        accounts = again.screen.query_one("#accounts-table", VirtualTable)
        assert accounts.columns[accounts._sort_column or 0].label == "name"
        names = [ln.name for ln in accounts.view]
        assert names == sorted(names)
    books.close()


async def test_a_hand_edited_preference_that_makes_no_sense_is_ignored(example_cache: Path) -> None:
    path = locations.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[dashboard]\ntheme = "no-such-theme"\n[dashboard.sort]\nperiods = 3\n'
                    '[dashboard.sort.accounts]\ncolumn = "no-such-column"\n', encoding="utf-8")
    books = Books.open_cache(example_cache)
    app = PaygApp(books, auto_sync=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme != "no-such-theme" and app.is_running
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#accounts-table", VirtualTable)._sort_column is None
    books.close()


async def test_the_demo_remembers_nothing_in_the_config_file(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        demo_app.theme = "nord"
        await settle(pilot)
    assert not locations.config_path().exists()
